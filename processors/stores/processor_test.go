package stores

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// rig runs both stores groups under goka's tester.
type rig struct {
	t       *testing.T
	tt      *tester.Tester
	sd      *serde.Serde
	events  map[string]*tester.QueueTracker
	results *tester.QueueTracker
	dlq     *tester.QueueTracker
}

func newRig(t *testing.T) *rig {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	deps := engine.Deps{Serde: sd, Partitions: func(topics.Topic) int32 { return 1 },
		Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, gg := range []*goka.GroupGraph{StoreGroup(deps), ProductGroup(deps)} {
		p, err := goka.NewProcessor(nil, gg, goka.WithTester(tt))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.Run(ctx) }()
	}
	return &rig{t: t, tt: tt, sd: sd,
		events: map[string]*tester.QueueTracker{
			topics.Stores.Events.Name:   tt.NewQueueTracker(topics.Stores.Events.Name),
			topics.Products.Events.Name: tt.NewQueueTracker(topics.Products.Events.Name),
		},
		results: tt.NewQueueTracker(topics.Results.Name),
		dlq:     tt.NewQueueTracker(topics.DeadLetter.Name),
	}
}

func (r *rig) send(topic string, cmd schemas.Command) {
	r.t.Helper()
	b, err := r.sd.Encode(topic, cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume(topic, cmd.CommandMetadata().AggregateID, b)
}

func (r *rig) nextEvent(topic string) schemas.Event {
	r.t.Helper()
	_, v, ok := r.events[topic].Next()
	if !ok {
		r.t.Fatalf("no event on %s", topic)
	}
	ev, err := r.sd.Decode(context.Background(), serde.Position{Topic: topic}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return ev.(schemas.Event)
}

func (r *rig) nextResult() *schemas.CommandResult {
	r.t.Helper()
	_, v, ok := r.results.Next()
	if !ok {
		r.t.Fatal("no result")
	}
	res, err := r.sd.Decode(context.Background(), serde.Position{Topic: topics.Results.Name}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return res.(*schemas.CommandResult)
}

func (r *rig) snapshot(a topics.Aggregate, id string) any {
	r.t.Helper()
	v := r.tt.TableValue(goka.Table(a.Table.Name), id)
	if v == nil {
		return nil
	}
	s, err := r.sd.Decode(context.Background(), serde.Position{Topic: a.Table.Name}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

func meta(cmdID, aggID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: cmdID, AggregateID: aggID, IssuedAt: time.Now()}
}

func TestCreateStoreEmitsEventStateAndResult(t *testing.T) {
	r := newRig(t)
	r.send(topics.Stores.Commands.Name, &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"})

	ev := r.nextEvent(topics.Stores.Events.Name).(*stores.StoreCreated)
	if ev.Name != "Waldorf Books" || ev.AggregateVersion != 1 || ev.AggregateID != "s1" || ev.CommandID != "c1" || ev.EventID != schemas.EventID("c1", 0) {
		t.Fatalf("unexpected event %+v", ev)
	}
	res := r.nextResult()
	if !res.Accepted || res.Version != 1 || res.AggregateType != "store" || len(res.EventIDs) != 1 || res.EventIDs[0] != ev.EventID {
		t.Fatalf("unexpected result %+v", res)
	}
	snap := r.snapshot(topics.Stores, "s1").(*stores.StoreSnapshot)
	if snap.Version != 1 || snap.State.Name != "Waldorf Books" || len(snap.Recent) != 1 || len(snap.Recent[0].Events) != 1 {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}

func TestRejectionStoresNothingForAMissingAggregateAndAnswersWithTheText(t *testing.T) {
	r := newRig(t)
	r.send(topics.Stores.Commands.Name, &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "", Location: "Level 1"})
	res := r.nextResult()
	if res.Accepted || res.Message != "the store name cannot be blank" || res.Kind != "invalid" || res.Version != 0 {
		t.Fatalf("unexpected result %+v", res)
	}
	if s := r.snapshot(topics.Stores, "s1"); s != nil {
		t.Fatalf("a rejected create stored %+v", s)
	}
	if _, _, ok := r.events[topics.Stores.Events.Name].Next(); ok {
		t.Fatalf("a rejection appended an event")
	}
}

func TestARetriedCommandAnswersTheSameResultAndAppendsNothing(t *testing.T) {
	r := newRig(t)
	create := &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"}
	r.send(topics.Stores.Commands.Name, create)
	r.nextEvent(topics.Stores.Events.Name)
	firstRes := r.nextResult()

	r.send(topics.Stores.Commands.Name, create) // same command id: a client retry
	againRes := r.nextResult()
	if !againRes.Accepted || againRes.Version != firstRes.Version || againRes.EventIDs[0] != firstRes.EventIDs[0] {
		t.Fatalf("second result differs: %+v vs %+v", againRes, firstRes)
	}
	if _, _, ok := r.events[topics.Stores.Events.Name].Next(); ok {
		t.Fatal("a retried command appended an event")
	}
	if snap := r.snapshot(topics.Stores, "s1").(*stores.StoreSnapshot); snap.Version != 1 {
		t.Fatalf("the retry changed the version to %d", snap.Version)
	}
}

func TestARejectionOfAnExistingAggregateIsRememberedForRetries(t *testing.T) {
	r := newRig(t)
	r.send(topics.Stores.Commands.Name, &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "W", Location: "L"})
	r.nextResult()
	disable := &stores.DisableParticipation{CommandMeta: meta("c2", "s1")}
	r.send(topics.Stores.Commands.Name, disable)
	if res := r.nextResult(); res.Message != "the store is already not participating" {
		t.Fatalf("unexpected %+v", res)
	}
	r.send(topics.Stores.Commands.Name, &stores.EnableParticipation{CommandMeta: meta("c3", "s1")})
	r.nextResult()
	r.send(topics.Stores.Commands.Name, disable) // retried after the state moved on
	if res := r.nextResult(); res.Accepted || res.Message != "the store is already not participating" {
		t.Fatalf("a retried rejection was decided again: %+v", res)
	}
}

func TestAddProductLooksUpTheStoresTable(t *testing.T) {
	r := newRig(t)
	add := &stores.AddProduct{CommandMeta: meta("c1", "p1"), StoreID: "s1", Name: "Wizard w/ crystal", PriceCents: 998}
	r.send(topics.Products.Commands.Name, add)
	if res := r.nextResult(); res.Accepted || res.Message != "the store does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}

	r.send(topics.Stores.Commands.Name, &stores.CreateStore{CommandMeta: meta("c2", "s1"), Name: "Nic & Naks", Location: "L"})
	r.nextResult()
	add.CommandID = "c3"
	r.send(topics.Products.Commands.Name, add)
	if res := r.nextResult(); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	ev := r.nextEvent(topics.Products.Events.Name).(*stores.ProductAdded)
	if ev.PriceCents != 998 || ev.StoreID != "s1" {
		t.Fatalf("unexpected %+v", ev)
	}
}

func TestGarbageIsDeadLetteredAndTheNextCommandProcessed(t *testing.T) {
	r := newRig(t)
	r.tt.Consume(topics.Stores.Commands.Name, "s1", []byte("definitely not avro"))
	r.tt.Consume(topics.Stores.Commands.Name, "", []byte{0, 0, 0, 0, 1})
	storeEvent, _ := r.sd.Encode(topics.Stores.Events.Name, &stores.StoreCreated{EventMeta: schemas.EventMeta{AggregateID: "s1"}})
	r.tt.Consume(topics.Stores.Commands.Name, "s1", storeEvent)
	r.tt.Consume(topics.Stores.Commands.Name, "s1", []byte{0, 0, 0, 0x7f, 0x7f, 1, 2})
	wrongKey, _ := r.sd.Encode(topics.Stores.Commands.Name, &stores.CreateStore{CommandMeta: meta("c0", "s2"), Name: "W", Location: "L"})
	r.tt.Consume(topics.Stores.Commands.Name, "s1", wrongKey)

	for _, want := range []string{"magic byte", "no key", "is not a store command", "unknown schema id", "is not the command's aggregateId"} {
		h, _, _, ok := r.dlq.NextWithHeaders()
		if !ok {
			t.Fatalf("no dead letter for %q", want)
		}
		if reason := string(h[topics.HeaderDLQReason]); !strings.Contains(reason, want) {
			t.Errorf("dead letter reason %q does not say %q", reason, want)
		}
		if string(h[topics.HeaderDLQTopic]) != topics.Stores.Commands.Name || len(h[topics.HeaderDLQOffset]) == 0 {
			t.Errorf("dead letter headers lack the origin: %q", h)
		}
	}
	r.send(topics.Stores.Commands.Name, &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "W", Location: "L"})
	if res := r.nextResult(); !res.Accepted {
		t.Fatalf("the command after the garbage was not processed: %+v", res)
	}
}
