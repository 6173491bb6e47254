package warehouse_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
)

// A changed copy of an event that mallbots.events holds (issue 22: a forged
// StoreCreated produced to the store's topic) is refused by the events
// projection, running as its own principal on a broker that enforces the
// catalogue's ACLs: the table keeps the first row, the conflict is
// counted, the copy is dead-lettered with its reason and origin, and the
// partition goes on.
func TestTheEventsProjectionRefusesAndDeadLettersAChangedCopyOfAnEvent(t *testing.T) {
	principal := topics.PrincipalName(topics.ProjectorRole(topics.ProjectorEvents))
	_, adminCH, writer := migrated(t)
	kafka := newSecuredBroker(t, principal)
	sd, _ := testkit.Serde(t)
	ctx := context.Background()

	const store = "store-honest"
	topic := topics.Stores.Events.Name
	seal := func(name string) []byte {
		t.Helper()
		ev := &stores.StoreCreated{Name: name, Location: "Level 1"}
		*ev.EventMetadata() = schemas.EventMeta{
			EventID: schemas.EventID("cmd-1", 0), AggregateID: store, AggregateVersion: 1,
			OccurredAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), CommandID: "cmd-1", CorrelationID: "cmd-1",
		}
		b, _, err := sd.Seal(topic, ev, "", serde.Chain{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	honest, forged := seal("Honest Store"), seal("Hacked Store")
	produce := func(value []byte) *kgo.Record {
		t.Helper()
		rec := &kgo.Record{Topic: topic, Key: []byte(store), Value: value}
		res := kafka.client.ProduceSync(ctx, rec)
		if err := res.FirstErr(); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
		return res[0].Record
	}
	held := func() []string {
		// Without FINAL: every copy inserted, before any merge. The
		// redelivery's copy is the first row again.
		return chtest.Strings(t, adminCH, "SELECT DISTINCT concat(event_id, ' ', payload, ' ', hash) FROM mallbots.events WHERE aggregate_id = ?", store)
	}

	produce(honest)
	p := start(t, kafka.as(principal), writer, projections.Events(sd))
	eventually(t, wait, "the honest event committed", func() bool { return kafka.committed(t, topics.ProjectorEvents) == 1 })
	first := held()
	if len(first) != 1 || !strings.Contains(first[0], "Honest Store") {
		t.Fatalf("mallbots.events holds %q, want the honest StoreCreated", first)
	}

	copyRec := produce(forged)
	produce(seal("Honest Store")) // a redelivery: the same bytes, written again harmlessly
	eventually(t, wait, "the forged copy and the redelivery committed", func() bool { return kafka.committed(t, topics.ProjectorEvents) == 3 })

	if got := held(); !slices.Equal(got, first) {
		t.Errorf("mallbots.events holds %q after the forged copy, want only the first row %q", got, first)
	}
	if got := count(t, adminCH, "SELECT count() FROM mallbots.events FINAL"); got != 1 {
		t.Errorf("events FINAL = %d rows, want 1", got)
	}
	if st := p.Stats(); st.Conflicts != 1 || st.Records != 3 {
		t.Errorf("stats = %+v, want 1 conflict over 3 records", st)
	}

	dl := deadLetters(t, kafka, 1)[0]
	if !bytes.Equal(dl.Value, forged) || string(dl.Key) != store {
		t.Errorf("dead letter %q = %q, want the forged record's bytes under its key", dl.Key, dl.Value)
	}
	want := map[string]string{
		topics.HeaderDLQTopic:     topic,
		topics.HeaderDLQPartition: strconv.Itoa(int(copyRec.Partition)),
		topics.HeaderDLQOffset:    strconv.FormatInt(copyRec.Offset, 10),
		topics.HeaderDLQGroup:     topics.ProjectorEvents,
	}
	got := map[string]string{}
	for _, h := range dl.Headers {
		got[h.Key] = string(h.Value)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("dead letter header %s = %q, want %q", k, got[k], v)
		}
	}
	if reason := got[topics.HeaderDLQReason]; !strings.Contains(reason, "store "+store+" v1 with other content") {
		t.Errorf("dead letter reason %q does not say which event the table holds with other content", reason)
	}
}

// deadLetters reads mallbots.deadletter from its start as the superuser
// until it has n records, and checks there is no more.
func deadLetters(t *testing.T, b *broker, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(append(b.as(superuser), kgo.ConsumeTopics(topics.DeadLetter.Name),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(wait)
	for len(out) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
		cancel()
	}
	if len(out) != n {
		t.Fatalf("%s holds %d records, want %d", topics.DeadLetter.Name, len(out), n)
	}
	end, err := b.adm.ListEndOffsets(context.Background(), topics.DeadLetter.Name)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	end.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != int64(n) {
		t.Errorf("%s holds %d records, want %d", topics.DeadLetter.Name, total, n)
	}
	return out
}
