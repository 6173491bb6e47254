package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// poisonRecord is one bad record and what must become of it.
type poisonRecord struct {
	kind      string
	rec       *kgo.Record
	forwarded bool // a valid command on the wrong partition: applied, not dead-lettered
	cmdID     string
}

// Poison writes bad records to every command topic with a Kafka client —
// random bytes, truncated Avro, an unknown schema id, a valid record of the
// wrong type, no key, a key on the wrong partition, an oversized value —
// each followed by a valid command on the same partition, and sends bad
// requests to the HTTP API. Every bad record must be dead-lettered with a
// reason (the misrouted command forwarded and applied), every following
// command answered, every bad request refused with a 4xx and a message.
func Poison(ctx context.Context, cfg Config) (Report, error) {
	r, start, p, err := startSingle(ctx, &cfg, "poison input on every command topic and the HTTP API")
	if err != nil {
		return r, err
	}
	defer p.Stop()
	ledger, stop := load(&cfg, p.API, p.Token)
	defer stop()

	sd, err := p.serde(ctx)
	if err != nil {
		return r, err
	}
	cl, err := kgo.NewClient(append(chaosOpts(p.Kafka), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(2<<20))...)
	if err != nil {
		return r, err
	}
	defer cl.Close()

	var poisons []poisonRecord
	var followers []string // command ids that must get a result
	after := map[string]string{}
	for _, a := range topics.Aggregates() {
		recs, follow, err := poisonFor(sd, a)
		if err != nil {
			return r, err
		}
		for i := range recs {
			if err := cl.ProduceSync(ctx, recs[i].rec).FirstErr(); err != nil {
				return r, fmt.Errorf("produce %s to %s: %w", recs[i].kind, a.Commands.Name, err)
			}
			r.Faults++
		}
		for _, f := range follow {
			if err := cl.ProduceSync(ctx, f.rec).FirstErr(); err != nil {
				return r, err
			}
			followers = append(followers, f.cmdID)
			after[f.cmdID] = a.Commands.Name + " after " + f.after
		}
		poisons = append(poisons, recs...)
	}
	// A value above the broker's limit is refused at the door.
	huge := make([]byte, 2<<20)
	_, _ = rand.Read(huge)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Stores.Commands.Name, Key: []byte("huge"), Value: huge}).FirstErr(); err != nil {
		r.Extra = append(r.Extra, "a 2 MiB value was refused by the broker: "+err.Error())
	} else {
		r.Problems = append(r.Problems, "the broker accepted a 2 MiB value")
	}

	answered, missing, err := awaitResults(ctx, p.Kafka, followers, time.Minute)
	if err != nil {
		return r, err
	}
	for _, id := range missing {
		r.Problems = append(r.Problems, "no result for the command on "+after[id])
	}
	r.Extra = append(r.Extra, fmt.Sprintf("commands after the poison answered: %d of %d (no partition stalled)", answered, len(followers)))
	if answered != len(followers) {
		r.Problems = append(r.Problems, fmt.Sprintf("%d commands after poison got no result: a partition stalled", len(followers)-answered))
	}
	dead, err := deadLetters(ctx, p.Kafka)
	if err != nil {
		return r, err
	}
	var lettered, forwarded int
	for _, ps := range poisons {
		if ps.forwarded {
			forwarded++
			continue
		}
		reason, ok := dead[fmt.Sprintf("%s/%d@%d", ps.rec.Topic, ps.rec.Partition, ps.rec.Offset)]
		switch {
		case !ok:
			r.Problems = append(r.Problems, fmt.Sprintf("%s on %s/%d@%d is not in the dead-letter topic", ps.kind, ps.rec.Topic, ps.rec.Partition, ps.rec.Offset))
		case reason == "":
			r.Problems = append(r.Problems, fmt.Sprintf("%s on %s was dead-lettered without a reason", ps.kind, ps.rec.Topic))
		default:
			lettered++
		}
	}
	answeredForwards, _, err := awaitResults(ctx, p.Kafka, forwardedIDs(poisons), time.Minute)
	if err != nil {
		return r, err
	}
	if answeredForwards != forwarded {
		r.Problems = append(r.Problems, fmt.Sprintf("%d misrouted commands were not applied", forwarded-answeredForwards))
	}
	r.Extra = append(r.Extra, fmt.Sprintf("poison records: %d, dead-lettered with a reason: %d, misrouted and forwarded: %d", len(poisons), lettered, answeredForwards))

	bad, refused, problems := badRequests(ctx, p.API(), p.Token)
	r.Faults += bad
	r.Problems = append(r.Problems, problems...)
	r.Extra = append(r.Extra, fmt.Sprintf("bad HTTP requests: %d, answered 4xx with a message: %d", bad, refused))

	stop()
	err = Check(ctx, &r, p, ledger)
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

// poisonFor builds the bad records for one aggregate's command topic and,
// for each partition hit, a valid command that must still be answered.
func poisonFor(sd *serde.Serde, a topics.Aggregate) ([]poisonRecord, []follower, error) {
	topic := a.Commands.Name
	n := a.Commands.Partitions
	valid := func(id string) ([]byte, string, error) {
		t, ok := typeByName(a.Commands.Values[0])
		if !ok {
			return nil, "", fmt.Errorf("no type %s", a.Commands.Values[0])
		}
		cmd := t.New().(schemas.Command)
		m := cmd.CommandMetadata()
		m.CommandID, m.AggregateID, m.CorrelationID, m.IssuedAt = uuid.NewString(), id, "chaos", time.Now()
		b, err := sd.Encode(topic, cmd)
		return b, m.CommandID, err
	}
	event := func(id string) ([]byte, error) {
		t, ok := typeByName(a.Events.Values[0])
		if !ok {
			return nil, fmt.Errorf("no type %s", a.Events.Values[0])
		}
		ev := t.New().(schemas.Event)
		ev.EventMetadata().AggregateID = id
		return sd.Encode(a.Events.Name, ev)
	}
	random := make([]byte, 64)
	_, _ = rand.Read(random)
	oversized := make([]byte, 900<<10)
	_, _ = rand.Read(oversized)
	var out []poisonRecord
	var follow []follower
	add := func(kind string, key []byte, value []byte) {
		id := string(key)
		if id == "" {
			id = uuid.NewString()
		}
		part := topics.PartitionFor(id, n)
		out = append(out, poisonRecord{kind: kind, rec: &kgo.Record{Topic: topic, Partition: part, Key: key, Value: value}})
		v, cmdID, err := valid(id)
		if err == nil {
			follow = append(follow, follower{after: kind, cmdID: cmdID, rec: &kgo.Record{Topic: topic, Partition: part, Key: []byte(id), Value: v}})
		}
	}
	add("random bytes", []byte(uuid.NewString()), random)
	good, _, err := valid(uuid.NewString())
	if err != nil {
		return nil, nil, err
	}
	add("truncated Avro", []byte(uuid.NewString()), good[:len(good)/2])
	add("an unknown schema id", []byte(uuid.NewString()), []byte{0, 0x7f, 0xff, 0xff, 0xf0, 2, 4, 6})
	ev, err := event(uuid.NewString())
	if err != nil {
		return nil, nil, err
	}
	add("a valid record of the wrong type", []byte(uuid.NewString()), ev)
	noKey, _, err := valid(uuid.NewString())
	if err != nil {
		return nil, nil, err
	}
	add("a missing key", nil, noKey)
	add("an oversized value (900 KiB)", []byte(uuid.NewString()), oversized)
	// A valid command on a partition its key does not hash to.
	id := uuid.NewString()
	misrouted, cmdID, err := valid(id)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, poisonRecord{kind: "a key on the wrong partition", forwarded: true, cmdID: cmdID,
		rec: &kgo.Record{Topic: topic, Partition: (topics.PartitionFor(id, n) + 1) % n, Key: []byte(id), Value: misrouted}})
	return out, follow, nil
}

var typeIndex map[string]schemas.Type

func typeByName(name string) (schemas.Type, bool) {
	if typeIndex == nil {
		typeIndex = map[string]schemas.Type{}
		types, _ := contract.Types()
		for _, t := range types {
			typeIndex[t.Name] = t
		}
	}
	t, ok := typeIndex[name]
	return t, ok
}

// follower is the valid command sent after a poison record.
type follower struct {
	after, cmdID string
	rec          *kgo.Record
}

func forwardedIDs(ps []poisonRecord) []string {
	var ids []string
	for _, p := range ps {
		if p.forwarded {
			ids = append(ids, p.cmdID)
		}
	}
	return ids
}

// awaitResults waits until each command id has a result on mallbots.results.
func awaitResults(ctx context.Context, broker string, ids []string, within time.Duration) (int, []string, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	cl, err := kgo.NewClient(append(chaosOpts(broker), kgo.ConsumeTopics(topics.Results.Name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return 0, nil, err
	}
	defer cl.Close()
	found := 0
	deadline := time.Now().Add(within)
	for len(want) > 0 && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pctx)
		cancel()
		fetches.EachRecord(func(rec *kgo.Record) {
			if want[string(rec.Key)] {
				delete(want, string(rec.Key))
				found++
			}
		})
	}
	var missing []string
	for id := range want {
		missing = append(missing, id)
	}
	return found, missing, nil
}

// deadLetters reads the dead-letter topic: origin "topic/partition@offset"
// → reason.
func deadLetters(ctx context.Context, broker string) (map[string]string, error) {
	cl, err := kgo.NewClient(append(chaosOpts(broker), kgo.ConsumeTopics(topics.DeadLetter.Name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(8<<20))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := map[string]string{}
	idle := 0
	for idle < 3 {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pctx)
		cancel()
		n := 0
		fetches.EachRecord(func(rec *kgo.Record) {
			n++
			h := map[string]string{}
			for _, kv := range rec.Headers {
				h[kv.Key] = string(kv.Value)
			}
			out[h[topics.HeaderDLQTopic]+"/"+h[topics.HeaderDLQPartition]+"@"+h[topics.HeaderDLQOffset]] = h[topics.HeaderDLQReason]
		})
		if n == 0 {
			idle++
		}
	}
	return out, nil
}

// badRequests sends malformed, mistyped, huge and misrouted requests.
func badRequests(ctx context.Context, api, token string) (sent, refused int, problems []string) {
	huge := bytes.Repeat([]byte("a"), 2<<20)
	for _, b := range []struct {
		what, method, path, body string
	}{
		{"malformed JSON", "POST", "/api/stores", `{"name": "x",`},
		{"not JSON at all", "POST", "/api/customers", `name=x`},
		{"a wrong type", "POST", "/api/stores", `{"name": 5, "location": "L"}`},
		{"a wrong type for money", "POST", "/api/payments", `{"customerId": "c", "amount": "lots"}`},
		{"an unknown field", "POST", "/api/customers", `{"name": "x", "smsNumber": "1", "admin": true}`},
		{"a huge body", "POST", "/api/stores", `{"name":"` + string(huge) + `"}`},
		{"an unknown route", "GET", "/api/nowhere", ``},
		{"an unknown method", "PATCH", "/api/stores", `{}`},
		{"a bad id", "POST", "/api/stores", `{"id": "not-a-uuid", "name": "x", "location": "y"}`},
		{"a negative quantity as text", "PUT", "/api/baskets/" + uuid.NewString() + "/addItem", `{"productId": "p", "quantity": "-1"}`},
	} {
		sent++
		req, _ := http.NewRequestWithContext(ctx, b.method, api+b.path, bytes.NewReader([]byte(b.body)))
		req.Header.Set("Content-Type", "application/json")
		authorize(req, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			problems = append(problems, b.what+": "+err.Error())
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Code, Message string }
		_ = json.Unmarshal(raw, &e)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || e.Message == "" {
			problems = append(problems, fmt.Sprintf("%s: HTTP %d %s", b.what, resp.StatusCode, strconv.Quote(string(raw[:min(len(raw), 200)]))))
			continue
		}
		refused++
	}
	return sent, refused, problems
}
