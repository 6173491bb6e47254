package replay

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Verify against tampering with the hash chain (docs/adr/0021): each
// forged, altered, reordered, inserted or missing record is reported at
// its exact topic, partition and offset; an honest log yields nothing.

// sealed seals one aggregate's events in order, as the engine does, and
// returns their records and the last hash.
func (r *rig) sealed(c serde.Chain, prev string, evs ...schemas.Event) ([][]byte, string) {
	r.t.Helper()
	var out [][]byte
	for _, ev := range evs {
		b, sum, err := r.sd.Seal(topics.Orders.Events.Name, ev, prev, c)
		if err != nil {
			r.t.Fatal(err)
		}
		out, prev = append(out, b), sum
	}
	return out, prev
}

// put logs order records keyed by id on its partition and returns where
// each landed (topic/partition@offset).
func (r *rig) put(id string, values ...[]byte) []string {
	r.t.Helper()
	var where []string
	for _, v := range values {
		rec := &kgo.Record{Topic: topics.Orders.Events.Name, Partition: topics.PartitionFor(id, topics.Orders.Events.Partitions), Key: []byte(id), Value: v}
		res := r.cl.ProduceSync(r.ctx, rec)
		if err := res.FirstErr(); err != nil {
			r.t.Fatal(err)
		}
		got := res[0].Record
		where = append(where, serde.Position{Topic: got.Topic, Partition: got.Partition, Offset: got.Offset}.String())
	}
	return where
}

// chainedOrder logs a whole sealed order and its snapshot, and returns its
// records, where they are and its last hash.
func (r *rig) chainedOrder(c serde.Chain, id string) ([][]byte, []string, string) {
	r.t.Helper()
	evs := happy(id)
	recs, last := r.sealed(c, "", evs...)
	where := r.put(id, recs...)
	snap := folded(r.t, evs...)
	snap.LastHash = last
	r.snapshot(snap)
	return recs, where, last
}

// found lists each discrepancy as "problem id where" ("problem id" for
// the table's, whose place is the snapshot's).
func found(ds []Discrepancy) []string {
	var out []string
	for _, d := range ds {
		if strings.HasPrefix(string(d.Problem), "table-") {
			out = append(out, string(d.Problem)+" "+d.ID)
			continue
		}
		out = append(out, string(d.Problem)+" "+d.ID+" "+d.Where)
	}
	slices.Sort(out)
	return out
}

// wantFound fails t unless the report's discrepancies are want, in any
// order, each as found writes it.
func wantFound(t *testing.T, rep *Report, want ...string) {
	t.Helper()
	got := found(rep.Discrepancies())
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("discrepancies\n got  %q\n want %q", got, want)
	}
}

func verifyOrders(t *testing.T, r *rig, opts ...VerifyOption) *Report {
	t.Helper()
	rep, err := r.log.Verify(r.ctx, append([]VerifyOption{VerifyTypes("order")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyFindsNothingWrongInAnHonestChainedLog(t *testing.T) {
	r := newRig(t)
	key := serde.NewChain([]byte("the processors' key"))
	recs, _, _ := r.chainedOrder(key, "o1")
	r.chainedOrder(key, "o2")
	r.put("o1", recs[len(recs)-1]) // a redelivery's copy of the last event: the same bytes
	rep := verifyOrders(t, r, VerifyChainKey([]byte("the processors' key")))
	if ds := rep.Discrepancies(); len(ds) != 0 {
		t.Fatalf("want no discrepancy, got %v", ds)
	}
	if o := rep.Types[0]; o.Events != 9 || o.Duplicates != 1 || o.Unchained != 0 || o.Matching != 2 {
		t.Fatalf("counts %+v: want 9 events, 1 duplicate, 0 unchained, 2 matching", o)
	}
	// The same log checked with another key: every chained event is forged.
	var forged int
	for _, d := range verifyOrders(t, r, VerifyChainKey([]byte("a guess"))).Discrepancies() {
		if d.Problem == ProblemHash {
			forged++
		}
	}
	if forged != 8 {
		t.Fatalf("with the wrong key %d events have a forged hash, want all 8", forged)
	}
}

func TestVerifyReportsEachTamperedRecordAtItsOffset(t *testing.T) {
	r := newRig(t)
	keyBytes := []byte("the processors' key")
	key := serde.NewChain(keyBytes)

	// An altered copy: o1's v1 with one byte changed, same event id.
	recs, _, _ := r.chainedOrder(key, "altered")
	forged := bytes.Clone(recs[0])
	i := bytes.Index(forged, []byte("cu"))
	forged[i] = 'X'
	alteredAt := r.put("altered", forged)[0]

	// A reordered pair: v3 logged before v2, each sealed honestly.
	evs := happy("reordered")
	rrecs, last := r.sealed(key, "", evs...)
	where := r.put("reordered", rrecs[0], rrecs[2], rrecs[1], rrecs[3])
	snap := folded(t, evs...)
	snap.LastHash = last
	r.snapshot(snap)

	// A fabricated v5, linked to v4 and well formed, but sealed without the
	// processors' key (plain SHA-256).
	_, _, head := r.chainedOrder(key, "fabricated")
	fake, _ := r.sealed(serde.Chain{}, head, as("fabricated", rejected(5, "e5")))
	fabricatedAt := r.put("fabricated", fake...)[0]

	// An unchained event appended after the chain (as kcat would write it).
	r.chainedOrder(key, "unsealed")
	unsealedAt := r.put("unsealed", r.encode(topics.Orders.Events.Name, as("unsealed", rejected(5, "e5"))))[0]

	// An inserted event: another v3 between v2 and v3, chained on v2.
	irecs, ilast := r.sealed(key, "", happy("inserted")...)
	_, v2hash := r.sealed(key, "", happy("inserted")[:2]...)
	extra, _ := r.sealed(key, v2hash, as("inserted", rejected(3, "x3")))
	iwhere := r.put("inserted", irecs[0], irecs[1], extra[0], irecs[2], irecs[3])
	isnap := folded(t, happy("inserted")...)
	isnap.LastHash = ilast
	r.snapshot(isnap)

	wantFound(t, verifyOrders(t, r, VerifyChainKey(keyBytes)),
		"altered altered "+alteredAt,
		"order reordered "+where[2],
		"hash fabricated "+fabricatedAt,
		"unchained unsealed "+unsealedAt,
		"conflict inserted "+iwhere[3],
		"link inserted "+iwhere[4], // the true v4 chains on the true v3, not on the inserted one
	)
}

func TestVerifyReportsRecordsDeletedFromAPartitionsStartAsLostHistory(t *testing.T) {
	r := newRig(t)
	_, where, _ := r.chainedOrder(serde.Chain{}, "o1")
	p := topics.PartitionFor("o1", topics.Orders.Events.Partitions)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topics.Orders.Events.Name, Partition: p, At: 2})
	res, err := r.adm.DeleteRecords(r.ctx, del)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	start := serde.Position{Topic: topics.Orders.Events.Name, Partition: p, Offset: 2}.String()
	wantFound(t, verifyOrders(t, r), "truncated  "+start, "gap o1 "+where[2])
}

func TestAnAuditResumedAtItsCheckpointReadsOnlyWhatIsNew(t *testing.T) {
	r := newRig(t)
	recs, _, _ := r.chainedOrder(serde.Chain{}, "o1")
	r.chainedOrder(serde.Chain{}, "o2")
	first := verifyOrders(t, r)
	if ds := first.Discrepancies(); len(ds) != 0 || first.Types[0].Events != 8 {
		t.Fatalf("the first audit read %d events and found %v", first.Types[0].Events, ds)
	}

	r.chainedOrder(serde.Chain{}, "o3")                                                            // 4 honest events
	unsealedAt := r.put("o1", r.encode(topics.Orders.Events.Name, as("o1", rejected(5, "e5"))))[0] // after o1's chain
	alteredCopy := bytes.Clone(recs[3])
	alteredCopy[bytes.Index(alteredCopy, []byte("o1/c-e4"))+6] = '5' // o1's head, the last audited v4, changed
	alteredAt := r.put("o1", alteredCopy)[0]

	second := verifyOrders(t, r, VerifyFrom(first.Checkpoint))
	if o := second.Types[0]; o.Events != 6 || !o.Resumed {
		t.Fatalf("the resumed audit read %d events (resumed %v), want the 6 new ones", o.Events, o.Resumed)
	}
	wantFound(t, second, "unchained o1 "+unsealedAt, "altered o1 "+alteredAt)

	third := verifyOrders(t, r, VerifyFrom(second.Checkpoint))
	if o := third.Types[0]; o.Events != 0 || len(o.Discrepancies) != 0 {
		t.Fatalf("an audit with nothing new read %d events and found %v", o.Events, o.Discrepancies)
	}
}
