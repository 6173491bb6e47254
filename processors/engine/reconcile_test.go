package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/topics"
)

// The event log's tail is read for the first suspect of an assignment
// (reconcile.go) and is needed only until the partition's consumption
// passes suspectBelow: these specs hold the handler to releasing it then,
// and to reading it again should a suspect come after all.

// tailLog is a LogReader whose event partition holds the given events and
// whose command partition ends at end. Every read hands out fresh copies
// of the values, as a fetch from a broker would.
type tailLog struct {
	end    int64
	events []keyed
	reads  atomic.Int32
}

func (l *tailLog) EndOffset(context.Context, string, int32) (int64, error) { return l.end, nil }

func (l *tailLog) Committed(context.Context, string, string) (map[int32]int64, error) {
	return map[int32]int64{}, nil
}

func (l *tailLog) Since(_ context.Context, topic string, partition int32, _ time.Time, fn func(*kgo.Record)) error {
	l.reads.Add(1)
	for i, e := range l.events {
		fn(&kgo.Record{Topic: topic, Partition: partition, Offset: int64(i), Key: []byte(e.key), Value: bytes.Clone(e.value)})
	}
	return nil
}

// Between reads the command partition: every command of the rig is the
// rig's customer's.
func (l *tailLog) Between(_ context.Context, topic string, partition int32, from, to int64, fn func(*kgo.Record)) error {
	for o := from; o < to; o++ {
		fn(&kgo.Record{Topic: topic, Partition: partition, Offset: o, Key: []byte(benchKey)})
	}
	return nil
}

type keyed struct {
	key   string
	value []byte
}

// reconcileRig runs the Customer callback (the whole chain) on one
// partition assignment: ctx's context ends when the assignment does.
type reconcileRig struct {
	h      *handler[customers.Customer, customers.CustomerCommand, customers.CustomerEvent]
	handle goka.ProcessCallback
	ctx    *benchContext
	revoke context.CancelFunc
	log    *tailLog
	cmds   func(i int) []byte
}

// commandID is the id of the command at offset i.
func commandID(i int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", i) }

// newReconcileRig's log holds events of other customers, then the event
// of the rig's customer (version 2; the state is at 1) for each command
// at an offset in logged, as if a previous assignment had handled it.
func newReconcileRig(tb testing.TB, events int, end int64, logged ...int) *reconcileRig {
	tb.Helper()
	sd, _ := testkit.Serde(tb)
	now := time.Now().UTC()
	encode := func(topic string, v any) []byte {
		raw, err := sd.Encode(topic, v)
		if err != nil {
			tb.Fatal(err)
		}
		return raw
	}
	log := &tailLog{end: end}
	event := func(aggregateID string, i int) []byte {
		id := commandID(i)
		return encode(topics.Customers.Events.Name, &customers.CustomerSmsChanged{SMSNumber: fmt.Sprintf("%012d", i),
			EventMeta: schemas.EventMeta{EventID: schemas.EventID(id, 0), AggregateID: aggregateID, AggregateVersion: 2, OccurredAt: now,
				CommandID: id, CausationID: id, CorrelationID: id}})
	}
	for i := range events {
		other := fmt.Sprintf("a0000000-0000-4000-8000-%012d", i)
		log.events = append(log.events, keyed{other, event(other, i)})
	}
	for _, i := range logged {
		log.events = append(log.events, keyed{benchKey, event(benchKey, i)})
	}
	rt := New(sd, WithLog(slog.New(slog.NewTextHandler(io.Discard, nil))), WithPartitions(func(topics.Topic) int32 { return 1 }),
		WithEventLog(log))
	h := &handler[customers.Customer, customers.CustomerCommand, customers.CustomerEvent]{names: topics.Customers, rules: benchRules, rt: rt}
	state := encode(topics.Customers.Table.Name, &customers.CustomerSnapshot{AggregateID: benchKey, Version: 1, LastOffset: -1, UpdatedAt: now,
		State: customers.Customer{ID: benchKey, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}})
	ctx, revoke := context.WithCancel(context.Background())
	tb.Cleanup(revoke)
	return &reconcileRig{
		h: h, handle: rt.callback(topics.Customers.Group, "aggregate_id", h.handle, []Step{h.route}),
		ctx: &benchContext{ctx: ctx, key: benchKey, value: state}, revoke: revoke, log: log,
		cmds: func(i int) []byte {
			meta := schemas.CommandMeta{CommandID: commandID(i), AggregateID: benchKey, IssuedAt: now}
			return encode(topics.Customers.Commands.Name, &customers.ChangeSmsNumber{CommandMeta: meta, SMSNumber: fmt.Sprintf("%012d", i)})
		},
	}
}

// deliver hands the callback the command record at offset and returns how
// many records it emitted.
func (r *reconcileRig) deliver(offset int64) int {
	before := r.ctx.emitted
	r.ctx.offset = offset
	r.handle(r.ctx, r.cmds(int(offset)))
	return r.ctx.emitted - before
}

// heldKeys counts the events partition 0's session holds by aggregate and
// command.
func (r *reconcileRig) heldKeys() map[string]int {
	r.h.sessions.mu.Lock()
	defer r.h.sessions.mu.Unlock()
	held := map[string]int{}
	if s, ok := r.h.sessions.by[0]; ok {
		for k, evs := range s.logged {
			held[k] = len(evs)
		}
	}
	return held
}

// loaded says whether partition 0's session holds the log's tail.
func (r *reconcileRig) loaded() bool {
	r.h.sessions.mu.Lock()
	defer r.h.sessions.mu.Unlock()
	s, ok := r.h.sessions.by[0]
	return ok && s.logged != nil
}

func TestTheLoadedLogIsReleasedOnceThePartitionHandledItsLastSuspect(t *testing.T) {
	r := newReconcileRig(t, 100, 10)
	r.deliver(8)
	if !r.loaded() || r.log.reads.Load() != 1 {
		t.Fatalf("the first suspect did not load the log's tail (loaded %v, %d reads)", r.loaded(), r.log.reads.Load())
	}
	r.deliver(9) // the last suspect: offsets below 10
	if r.loaded() {
		t.Fatal("the log's tail is still held after the last suspect was handled")
	}
	r.deliver(10)
	r.deliver(11)
	if r.loaded() || r.log.reads.Load() != 1 {
		t.Fatalf("new records read the log again (loaded %v, %d reads)", r.loaded(), r.log.reads.Load())
	}
}

func TestTheLoadedLogHoldsOnlyTheEventsOfTheRedeliveredCommandsAggregates(t *testing.T) {
	// 100 events of other customers, then the rig's customer's for the
	// commands at offsets 6 and 7; the commands from 5 up to 10 are the
	// rig's customer's.
	r := newReconcileRig(t, 100, 10, 6, 7)
	r.deliver(5)
	if got := r.heldKeys(); len(got) != 2 || got[loggedKey(benchKey, commandID(6))] != 1 || got[loggedKey(benchKey, commandID(7))] != 1 {
		t.Fatalf("the loaded tail holds the events of %d commands (offset 6's: %d, 7's: %d), want the one event of each of the commands at offsets 6 and 7 only",
			len(got), got[loggedKey(benchKey, commandID(6))], got[loggedKey(benchKey, commandID(7))])
	}
	if n := r.deliver(6); n != 1 {
		t.Fatalf("the command at offset 6 emitted %d records; its event is in the log, so only its result was due", n)
	}
}

func TestPastMaxSuspectsTheLoadedLogHoldsEveryAggregatesEvents(t *testing.T) {
	// A group that never committed: reading every command's key would cost
	// more than keeping the minute of events.
	r := newReconcileRig(t, 100, maxSuspects+10, 6)
	r.deliver(5)
	if got := len(r.heldKeys()); got != 101 {
		t.Fatalf("the loaded tail holds the events of %d commands, want all 101", got)
	}
}

func TestTheLoadedLogIsReleasedByTheFirstNewRecordWhenTheLastSuspectNeverReachedTheHandler(t *testing.T) {
	// The records between (a dead letter, a record on the wrong partition)
	// leave the handler before it asks for the log.
	r := newReconcileRig(t, 100, 10)
	r.deliver(5)
	if !r.loaded() {
		t.Fatal("the first suspect did not load the log's tail")
	}
	r.deliver(10)
	if r.loaded() {
		t.Fatal("the log's tail is still held after the partition passed its suspects")
	}
}

func TestASuspectAfterTheReleaseReadsTheLogAgainAndStillAdoptsWhatItHolds(t *testing.T) {
	// goka delivers an assignment's records in order, so no suspect follows
	// a new record in one assignment; were one to, it must still be
	// reconciled.
	r := newReconcileRig(t, 100, 10, 6)
	r.deliver(5)
	r.deliver(10)
	if n := r.deliver(6); n != 1 {
		t.Fatalf("the command at offset 6 emitted %d records; its event is in the log, so only its result was due", n)
	}
	if got := r.log.reads.Load(); got != 2 {
		t.Fatalf("the log was read %d times, want 2 (once per load)", got)
	}
	if n := r.deliver(150); n != 2 {
		t.Fatalf("a new command emitted %d records, want its event and its result", n)
	}
}

func TestARevokedPartitionsSessionIsDropped(t *testing.T) {
	r := newReconcileRig(t, 100, 10)
	r.deliver(5)
	r.revoke()
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		r.h.sessions.mu.Lock()
		defer r.h.sessions.mu.Unlock()
		_, held := r.h.sessions.by[0]
		return !held, "the revoked assignment's session (and the log it loaded) is still held"
	})
}

// BenchmarkReconciliationLog measures the heap the loaded log's tail
// holds: after the first suspect of an assignment ("MiB-loaded") and
// after the partition passed its suspects ("MiB-retained"), for a minute
// of log holding 100,000 events of other customers than the suspects'
// (what a new instance meets under load); ns/op is the first suspect's
// delivery, which reads the tail. Run:
//
//	go test ./processors/engine -run '^$' -bench ReconciliationLog -benchtime 3x
func BenchmarkReconciliationLog(b *testing.B) {
	const events, end = 100_000, 10
	var loaded, retained float64
	for range b.N {
		b.StopTimer()
		r := newReconcileRig(b, events, end)
		base := liveHeap()
		b.StartTimer()
		r.deliver(end - 2)
		b.StopTimer()
		loaded = liveHeap() - base
		r.deliver(end)
		retained = liveHeap() - base
		runtime.KeepAlive(r)
	}
	b.ReportMetric(loaded, "MiB-loaded")
	b.ReportMetric(retained, "MiB-retained")
}

// liveHeap is the heap in use after a full collection, in MiB.
func liveHeap() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}
