package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The tamper scenario's second part: what the break-glass admin, who may
// do anything, does to the log, and what verify must report for each.

// finding is one discrepancy verify reports, as the scenario compares
// them: its problem, aggregate id and record (topic/partition@offset;
// none for a state table's, whose record is the snapshot's).
type finding struct {
	problem replay.Problem
	id      string
	where   string
}

func (f finding) String() string {
	s := string(f.problem) + " " + f.id
	if f.where != "" {
		s += " at " + f.where
	}
	return s
}

func findingOf(d replay.Discrepancy) finding {
	f := finding{problem: d.Problem, id: d.ID, where: d.Where}
	if len(d.Problem) > 6 && d.Problem[:6] == "table-" {
		f.where = ""
	}
	return f
}

// tamper is one thing the admin did and the finding it must produce.
type tamper struct {
	what string
	want finding
}

// logRecord is an event record of the log, decoded.
type logRecord struct {
	rec *kgo.Record
	ev  schemas.Event
}

func (l logRecord) meta() *schemas.EventMeta { return l.ev.EventMetadata() }

func (l logRecord) pos() string {
	return serde.Position{Topic: l.rec.Topic, Partition: l.rec.Partition, Offset: l.rec.Offset}.String()
}

// byAggregate reads an event topic and groups its records by aggregate, in
// log order.
func byAggregate(ctx context.Context, p *Proc, sd *serde.Serde, topic string) (map[string][]logRecord, []logRecord, error) {
	recs, err := readAll(ctx, p.Kafka, topic)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]logRecord{}
	var all []logRecord
	for _, rec := range recs {
		v, err := sd.Decode(ctx, serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}, rec.Value)
		if err != nil {
			return nil, nil, err
		}
		l := logRecord{rec: rec, ev: v.(schemas.Event)}
		out[l.meta().AggregateID] = append(out[l.meta().AggregateID], l)
		all = append(all, l)
	}
	return out, all, nil
}

// victims are the records the admin tampers with, chosen among the
// aggregates the ledger's workers finished with (nothing writes them
// again): a store's first event to alter, a store with a rebrand to extend
// with a fabricated event, a customer with two events or more to reorder,
// and a customers partition other than that customer's to truncate.
type victims struct {
	altered    logRecord // a StoreCreated
	fabricated logRecord // the head of a store, a StoreRebranded
	reordered  logRecord // a customer's first event, which has later ones
	truncate   int32     // the customers partition to truncate
	deleted    []string  // the aggregates whose records are deleted
}

// truncateAt is how many records the admin deletes from the start of the
// truncated partition.
const truncateAt = 2

func chooseVictims(ctx context.Context, p *Proc, sd *serde.Serde, ledger *Ledger) (victims, error) {
	var v victims
	mine := map[string]bool{}
	for _, a := range ledger.Acked() {
		mine[a.AggregateID] = true
	}
	storeLogs, _, err := byAggregate(ctx, p, sd, topics.Stores.Events.Name)
	if err != nil {
		return v, err
	}
	for _, id := range sortedIDs(storeLogs) {
		recs := storeLogs[id]
		if !mine[id] {
			continue
		}
		head := recs[len(recs)-1]
		if _, ok := recs[0].ev.(*stores.StoreCreated); ok && v.altered.rec == nil {
			v.altered = recs[0]
			continue
		}
		if _, ok := head.ev.(*stores.StoreRebranded); ok && v.fabricated.rec == nil {
			v.fabricated = head
		}
	}
	customerLogs, all, err := byAggregate(ctx, p, sd, topics.Customers.Events.Name)
	if err != nil {
		return v, err
	}
	for _, id := range sortedIDs(customerLogs) {
		if recs := customerLogs[id]; mine[id] && len(recs) >= 2 {
			v.reordered = recs[0]
			break
		}
	}
	if v.altered.rec == nil || v.fabricated.rec == nil || v.reordered.rec == nil {
		return v, fmt.Errorf("the workers left too few stores and customers to tamper with (a created store, a rebranded one, a customer with two events); run longer")
	}
	counts := map[int32]int{}
	for _, l := range all {
		counts[l.rec.Partition]++
	}
	v.truncate = -1
	for part, n := range counts {
		if part != v.reordered.rec.Partition && n > truncateAt && (v.truncate < 0 || n > counts[v.truncate]) {
			v.truncate = part
		}
	}
	if v.truncate < 0 {
		return v, fmt.Errorf("no customers partition but the reordered customer's holds more than %d records", truncateAt)
	}
	for _, l := range all {
		if l.rec.Partition == v.truncate && l.rec.Offset < truncateAt && !slices.Contains(v.deleted, l.meta().AggregateID) {
			v.deleted = append(v.deleted, l.meta().AggregateID)
		}
	}
	return v, nil
}

func sortedIDs(m map[string][]logRecord) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// tamperAsAdmin appends the altered copy, the reordered event and the
// fabricated one, and deletes the first records of the truncated
// partition, as the admin. It returns what it did with the findings each
// must produce (the truncation's consequences for the aggregates it cut
// are added once the log is quiet: truncationFindings).
func tamperAsAdmin(ctx context.Context, p *Proc, sd *serde.Serde, v victims) ([]tamper, error) {
	opts, _, err := propertiesClient(p, adminProperties)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	appendAs := func(like *kgo.Record, value []byte) (string, error) {
		res := cl.ProduceSync(ctx, &kgo.Record{Topic: like.Topic, Partition: like.Partition, Key: like.Key, Value: value})
		if err := res.FirstErr(); err != nil {
			return "", fmt.Errorf("the admin's append to %s/%d: %w", like.Topic, like.Partition, err)
		}
		got := res[0].Record
		return serde.Position{Topic: got.Topic, Partition: got.Partition, Offset: got.Offset}.String(), nil
	}
	var out []tamper

	// An altered copy: the store's StoreCreated with another name, the
	// same key and event id, its recorded hash kept.
	created := *v.altered.ev.(*stores.StoreCreated)
	created.Name = "Forged " + created.Name
	b, err := sd.Encode(v.altered.rec.Topic, &created)
	if err != nil {
		return nil, err
	}
	where, err := appendAs(v.altered.rec, b)
	if err != nil {
		return nil, err
	}
	out = append(out, tamper{what: fmt.Sprintf("altered copy of %s (StoreCreated v1 at %s, name %q)", created.AggregateID, v.altered.pos(), created.Name),
		want: finding{replay.ProblemAltered, created.AggregateID, where}})

	// A reordered event: the customer's first event again, after its later
	// ones, byte for byte.
	if where, err = appendAs(v.reordered.rec, v.reordered.rec.Value); err != nil {
		return nil, err
	}
	m := v.reordered.meta()
	out = append(out, tamper{what: fmt.Sprintf("reordered: %s v%d (from %s) appended again after its later events", m.AggregateID, m.AggregateVersion, v.reordered.pos()),
		want: finding{replay.ProblemOrder, m.AggregateID, where}})

	// A fabricated event: the store's next rebrand, linked to its head,
	// with a made-up hash.
	head := v.fabricated.ev.(*stores.StoreRebranded)
	fake := stores.StoreRebranded{EventMeta: head.EventMeta, Name: "Fabricated Store"}
	fake.EventID, fake.CommandID, fake.CausationID = uuid.NewString(), uuid.NewString(), uuid.NewString()
	fake.AggregateVersion, fake.OccurredAt = head.AggregateVersion+1, time.Now().UTC().Truncate(time.Millisecond)
	fake.PrevHash, fake.Hash = head.Hash, madeUpHash()
	if b, err = sd.Encode(v.fabricated.rec.Topic, &fake); err != nil {
		return nil, err
	}
	if where, err = appendAs(v.fabricated.rec, b); err != nil {
		return nil, err
	}
	out = append(out, tamper{what: fmt.Sprintf("fabricated %s v%d with a made-up hash", fake.AggregateID, fake.AggregateVersion),
		want: finding{replay.ProblemHash, fake.AggregateID, where}})

	cut, err := truncateAsAdmin(ctx, cl, v)
	return append(out, cut), err
}

// truncateAsAdmin deletes the first records of the victims' partition.
func truncateAsAdmin(ctx context.Context, cl *kgo.Client, v victims) (tamper, error) {
	name := topics.Customers.Events.Name
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: name, Partition: v.truncate, At: truncateAt})
	res, err := kadm.NewClient(cl).DeleteRecords(ctx, del)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return tamper{}, fmt.Errorf("the admin's DeleteRecords on %s/%d: %w", name, v.truncate, err)
	}
	start := serde.Position{Topic: name, Partition: v.truncate, Offset: truncateAt}.String()
	return tamper{what: fmt.Sprintf("deleted the first %d records of %s/%d (customers %v)", truncateAt, name, v.truncate, v.deleted),
		want: finding{replay.ProblemTruncated, "", start}}, nil
}

func madeUpHash() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// truncationFindings are what the deleted records leave behind, once the
// log is quiet: each cut aggregate with later records in the partition
// misses its first versions (a gap at its first remaining record); one
// with none left is in its state table and no longer in the log.
func truncationFindings(ctx context.Context, p *Proc, sd *serde.Serde, v victims) ([]tamper, error) {
	logs, _, err := byAggregate(ctx, p, sd, topics.Customers.Events.Name)
	if err != nil {
		return nil, err
	}
	var out []tamper
	for _, id := range v.deleted {
		var rest []logRecord
		for _, l := range logs[id] {
			if l.rec.Partition == v.truncate {
				rest = append(rest, l)
			}
		}
		if len(rest) > 0 {
			out = append(out, tamper{what: fmt.Sprintf("consequence of the truncation: %s starts at v%d", id, rest[0].meta().AggregateVersion),
				want: finding{replay.ProblemGap, id, rest[0].pos()}})
			continue
		}
		out = append(out, tamper{what: fmt.Sprintf("consequence of the truncation: %s has no event left", id),
			want: finding{replay.ProblemTableExtra, id, ""}})
	}
	return out, nil
}

// compareFindings matches what verify found with what the tampers must
// produce: each expected finding found, and nothing else.
func compareFindings(want []tamper, got []replay.Discrepancy) (missing, extra []string) {
	found := map[finding]int{}
	for _, d := range got {
		found[findingOf(d)]++
	}
	for _, t := range want {
		if found[t.want] > 0 {
			found[t.want]--
			continue
		}
		missing = append(missing, fmt.Sprintf("verify did not report the %s: want %s", t.what, t.want))
	}
	for _, d := range got {
		f := findingOf(d)
		if found[f] > 0 {
			found[f]--
			extra = append(extra, "verify reported what nobody tampered with: "+d.String())
		}
	}
	return missing, extra
}
