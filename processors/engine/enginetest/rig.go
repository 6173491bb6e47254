// Package enginetest runs the goka groups that processors/engine builds
// under goka's tester, so that a context's processor tests read as
// specifications: send a command, then read the events, the result, the
// saga reply, the dead letter and the snapshot it left, all decoded.
//
// It consumes a context's production group constructor (Groups) and the
// contract's Serde (platform/testkit); it produces a Rig, typed helpers
// around it, and the graph assertion every aggregate group must pass
// (AssertAggregateGraph). For a group that is no aggregate's (the
// policies, the saga) it produces a Watch: what the group sent,
// dead-lettered and logged. It is test support, like goka's tester: only
// tests import it.
package enginetest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Rig runs a context's groups under one goka tester. Its helpers fail the
// test on what they cannot do (encode, decode, find the next record).
type Rig struct {
	t     testing.TB
	tt    *tester.Tester
	sd    *serde.Serde
	rt    *engine.Runtime
	run   map[string]bool                 // the types of the aggregates whose groups run
	queue map[string]*tester.QueueTracker // by topic: events, results, replies, dead letters
}

// Option changes how New builds the rig.
type Option func(*config)

type config struct {
	now     func() time.Time
	log     engine.LogReader
	catchUp engine.CatchUpFunc
	tables  []func(*Rig)
}

// WithClock sets the groups' clock (engine.WithClock); default: always
// 2026-11-22 12:00 UTC, the time Meta issues commands at.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithEventLog gives the groups an event log to reconcile redelivered
// commands against (engine.WithEventLog); default none, which turns
// reconciliation off. See EventLog.
func WithEventLog(log engine.LogReader) Option { return func(c *config) { c.log = log } }

// WithCatchUp gives the groups a CatchUp (engine.WithCatchUp), called
// when a lookup misses; it may put the missing snapshot in its table
// (SetSnapshot), as a copy of the table catching up would. Default none.
func WithCatchUp(f engine.CatchUpFunc) Option {
	return func(c *config) { c.catchUp = f }
}

// WithSnapshot puts snap in a's table, keyed by its aggregate id, before
// the test sends anything: the state a previous run or another context
// left. SetSnapshot does the same in the middle of a test.
func WithSnapshot[S any](a topics.Aggregate, snap *schemas.Snapshot[S]) Option {
	return func(c *config) { c.tables = append(c.tables, func(r *Rig) { SetSnapshot(r, a, snap) }) }
}

// issuedAt is the default clock's one time.
var issuedAt = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// Runtime is an engine.Runtime fit for goka's tester: the contract's
// Serde, one partition, no lookup grace (a miss is a miss at once), no
// reconciliation, the test's log and 2026-11-22 12:00 UTC for a clock;
// opts (engine's) come after and may change any of it.
func Runtime(t testing.TB, opts ...engine.Option) *engine.Runtime {
	sd, _ := testkit.Serde(t)
	return engine.New(sd, append([]engine.Option{
		engine.WithLog(slog.New(slog.NewTextHandler(t.Output(), nil))),
		engine.WithClock(func() time.Time { return issuedAt }),
		engine.WithPartitions(func(topics.Topic) int32 { return 1 }), // goka's tester runs one partition
	}, opts...)...)
}

// New starts the groups that groups (a context's production constructor,
// e.g. stores.Groups) builds on a Runtime, with the options' clock, event
// log and catch-up. The groups stop when the test ends.
func New(t testing.TB, groups func(*engine.Runtime) []*goka.GroupGraph, opts ...Option) *Rig {
	t.Helper()
	cfg := config{now: func() time.Time { return issuedAt }}
	for _, o := range opts {
		o(&cfg)
	}
	sd, _ := testkit.Serde(t)
	rt := Runtime(t, engine.WithClock(cfg.now), engine.WithEventLog(cfg.log), engine.WithCatchUp(cfg.catchUp))
	r := &Rig{t: t, tt: tester.New(t), sd: sd, rt: rt, run: map[string]bool{}, queue: map[string]*tester.QueueTracker{}}
	gs := groups(rt)
	// A group that stops shows as what the helpers then fail to find.
	stopped := make(chan error, len(gs))
	for _, gg := range gs {
		Start(t, r.tt, gg, stopped)
		if a, ok := aggregateOf(gg); ok {
			r.run[a.Type] = true
			r.track(a.Events.Name)
		}
	}
	r.track(topics.Results.Name)
	r.track(topics.SagaReplies.Name)
	r.track(topics.DeadLetter.Name)
	for _, set := range cfg.tables {
		set(r)
	}
	return r
}

func aggregateOf(gg *goka.GroupGraph) (topics.Aggregate, bool) {
	for _, a := range topics.EngineAggregates() {
		if goka.Group(a.Group) == gg.Group() {
			return a, true
		}
	}
	return topics.Aggregate{}, false
}

func (r *Rig) track(topic string) { r.queue[topic] = r.tt.NewQueueTracker(topic) }

// Now is the groups' clock.
func (r *Rig) Now() time.Time { return r.rt.Now() }

// Encode encodes v as a record of topic, as a producer would, with the
// contract's Serde (platform/testkit); the rig uses the same.
func Encode(t testing.TB, topic topics.Topic, v any) []byte {
	t.Helper()
	sd, _ := testkit.Serde(t)
	b, err := sd.Encode(topic.Name, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (r *Rig) decode(topic string, raw any) any {
	r.t.Helper()
	v, err := r.sd.Decode(context.Background(), serde.Position{Topic: topic, Offset: -1}, raw.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// Send sends cmd to its aggregate's command topic (found through the
// catalogue), keyed by its aggregate id, and waits until the groups have
// handled it. FromSaga makes it a command of the saga.
func (r *Rig) Send(cmd schemas.Command, opts ...tester.EmitOption) {
	r.t.Helper()
	typ, ok := r.sd.TypeOf(cmd)
	if !ok {
		r.t.Fatalf("%T is not a record of the contract", cmd)
	}
	topic, ok := topics.CommandTopic(typ.Name)
	if !ok {
		r.t.Fatalf("%s has no command topic in the catalogue", typ.Name)
	}
	r.SendRaw(topic, cmd.CommandMetadata().AggregateID, Encode(r.t, topic, cmd), opts...)
}

// SendRaw puts a record as it is on topic, for what no honest producer
// sends: garbage, a missing key, an event on a command topic.
func (r *Rig) SendRaw(topic topics.Topic, key string, value []byte, opts ...tester.EmitOption) {
	r.t.Helper()
	r.tt.Consume(topic.Name, key, value, opts...)
}

// FromSaga is how the create-order saga sends a command: it asks for the
// result as a reply on mallbots.saga.replies keyed by the order.
func FromSaga(orderID string) tester.EmitOption {
	return tester.WithHeaders(goka.Headers{
		topics.HeaderReplyTo:  []byte(topics.SagaReplies.Name),
		topics.HeaderReplyKey: []byte(orderID),
	})
}

// Meta is the metadata of a command issued now by the default clock.
func Meta(commandID, aggregateID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: commandID, AggregateID: aggregateID, IssuedAt: issuedAt}
}
