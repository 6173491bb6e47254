package depot

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// rig runs both depot groups under goka's tester, with the stores and
// products tables filled in directly (as the stores context publishes them).
type rig struct {
	t       *testing.T
	tt      *tester.Tester
	sd      *serde.Serde
	events  map[string]*tester.QueueTracker
	results *tester.QueueTracker
	replies *tester.QueueTracker
}

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newRig(t *testing.T) *rig {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	deps := engine.Deps{Serde: sd, Partitions: func(topics.Topic) int32 { return 1 }, Now: func() time.Time { return now }}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, gg := range Groups(deps) {
		p, err := goka.NewProcessor(nil, gg, goka.WithTester(tt))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.Run(ctx) }()
	}
	return &rig{t: t, tt: tt, sd: sd,
		events: map[string]*tester.QueueTracker{
			topics.ShoppingLists.Events.Name: tt.NewQueueTracker(topics.ShoppingLists.Events.Name),
			topics.Bots.Events.Name:          tt.NewQueueTracker(topics.Bots.Events.Name),
		},
		results: tt.NewQueueTracker(topics.Results.Name),
		replies: tt.NewQueueTracker(topics.SagaReplies.Name),
	}
}

// publish puts a snapshot in another context's table.
func (r *rig) publish(table string, key string, snap any) {
	r.t.Helper()
	b, err := r.sd.Encode(table, snap)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.SetTableValue(goka.Table(table), key, b)
}

func (r *rig) send(topic string, cmd schemas.Command, opts ...tester.EmitOption) {
	r.t.Helper()
	b, err := r.sd.Encode(topic, cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume(topic, cmd.CommandMetadata().AggregateID, b, opts...)
}

func (r *rig) decode(q *tester.QueueTracker, topic string) any {
	r.t.Helper()
	_, v, ok := q.Next()
	if !ok {
		r.t.Fatalf("nothing on %s", topic)
	}
	d, err := r.sd.Decode(context.Background(), serde.Position{Topic: topic}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

func (r *rig) nextResult() *schemas.CommandResult {
	r.t.Helper()
	return r.decode(r.results, topics.Results.Name).(*schemas.CommandResult)
}

func (r *rig) nextEvent(a topics.Aggregate) schemas.Event {
	r.t.Helper()
	return r.decode(r.events[a.Events.Name], a.Events.Name).(schemas.Event)
}

func (r *rig) list(id string) *depot.ShoppingListSnapshot {
	r.t.Helper()
	v := r.tt.TableValue(goka.Table(topics.ShoppingLists.Table.Name), id)
	if v == nil {
		return nil
	}
	d, err := r.sd.Decode(context.Background(), serde.Position{Topic: topics.ShoppingLists.Table.Name}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return d.(*depot.ShoppingListSnapshot)
}

func meta(cmdID, aggID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: cmdID, AggregateID: aggID, IssuedAt: now}
}

func (r *rig) openMall() {
	r.publish(topics.Stores.Table.Name, "s1", &stores.StoreSnapshot{AggregateID: "s1", Version: 2, State: stores.Store{ID: "s1", Name: "Waldorf Books", Location: "Level 1", Participating: true}})
	r.publish(topics.Products.Table.Name, "p1", &stores.ProductSnapshot{AggregateID: "p1", Version: 1, State: stores.Product{ID: "p1", StoreID: "s1", Name: "A Novel", PriceCents: 999}})
}

func TestCreateShoppingListLooksUpStoresAndProductsAndRepliesToTheSaga(t *testing.T) {
	r := newRig(t)
	sl := topics.ShoppingLists.Commands.Name
	toSaga := tester.WithHeaders(goka.Headers{topics.HeaderReplyTo: []byte(topics.SagaReplies.Name), topics.HeaderReplyKey: []byte("order-1")})
	create := &depot.CreateShoppingList{CommandMeta: meta("c1", "list-1"), OrderID: "order-1",
		Items: []depot.ListItem{{StoreID: "s1", ProductID: "p1", Quantity: 2}, {StoreID: "s1", ProductID: "p1", Quantity: 1}}}

	r.send(sl, create, toSaga)
	res := r.nextResult()
	if res.Accepted || res.Message != "the shopping list cannot be created" || res.Kind != "invalid" {
		t.Fatalf("before the mall opened: %+v", res)
	}
	if reply := r.decode(r.replies, topics.SagaReplies.Name).(*schemas.CommandResult); reply.CommandID != "c1" || reply.Accepted {
		t.Fatalf("the saga got %+v", reply)
	}

	r.openMall()
	create.CommandID = "c2"
	r.send(sl, create, toSaga)
	if res := r.nextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "shopping_list" {
		t.Fatalf("unexpected %+v", res)
	}
	if reply := r.decode(r.replies, topics.SagaReplies.Name).(*schemas.CommandResult); reply.CommandID != "c2" || !reply.Accepted {
		t.Fatalf("the saga got %+v", reply)
	}
	ev := r.nextEvent(topics.ShoppingLists).(*depot.ShoppingListCreated)
	stop := ev.Stops["s1"]
	if ev.OrderID != "order-1" || stop.StoreName != "Waldorf Books" || stop.StoreLocation != "Level 1" || stop.Items["p1"] != (depot.StopItem{ProductName: "A Novel", Quantity: 3}) {
		t.Fatalf("unexpected %+v", ev)
	}
	if snap := r.list("list-1"); snap.Version != 1 || snap.State.Status != StatusPending || snap.State.ID != "list-1" {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}

func TestAShoppingListBecomesAvailableIsAssignedAndCompleted(t *testing.T) {
	r := newRig(t)
	r.openMall()
	sl := topics.ShoppingLists.Commands.Name
	r.send(sl, &depot.CreateShoppingList{CommandMeta: meta("c1", "list-1"), OrderID: "order-1", Items: []depot.ListItem{{StoreID: "s1", ProductID: "p1", Quantity: 1}}})
	r.send(sl, &depot.InitiateShopping{CommandMeta: meta("c2", "list-1")})
	if snap := r.list("list-1"); snap.State.Status != StatusAvailable || !snap.State.AvailableAt.Equal(now) {
		t.Fatalf("want available since %s: %+v", now, snap.State)
	}
	r.send(sl, &depot.AssignShoppingList{CommandMeta: meta("c3", "list-1"), BotID: "bot-1"})
	r.send(sl, &depot.CompleteShoppingList{CommandMeta: meta("c4", "list-1")})
	r.send(sl, &depot.CancelShoppingList{CommandMeta: meta("c5", "list-1")})
	for i, want := range []bool{true, true, true, true, false} {
		if res := r.nextResult(); res.Accepted != want {
			t.Fatalf("command %d: %+v", i+1, res)
		}
	}
	r.nextEvent(topics.ShoppingLists)
	r.nextEvent(topics.ShoppingLists)
	if ev := r.nextEvent(topics.ShoppingLists).(*depot.ShoppingListAssigned); ev.BotID != "bot-1" || ev.AggregateVersion != 3 {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.nextEvent(topics.ShoppingLists).(*depot.ShoppingListCompleted); ev.OrderID != "order-1" || ev.AggregateVersion != 4 {
		t.Fatalf("unexpected %+v", ev)
	}
	if snap := r.list("list-1"); snap.Version != 4 || snap.State.Status != StatusCompleted || snap.State.BotID != "bot-1" {
		t.Fatalf("unexpected %+v", snap.State)
	}
}

func TestABotIsAssignedAndReleasedThroughItsGroup(t *testing.T) {
	r := newRig(t)
	b := topics.Bots.Commands.Name
	r.send(b, &depot.AssignBot{CommandMeta: meta("c1", "bot-1"), ShoppingListID: "list-1"})
	r.send(b, &depot.AssignBot{CommandMeta: meta("c2", "bot-1"), ShoppingListID: "list-2"})
	r.send(b, &depot.ReleaseBot{CommandMeta: meta("c3", "bot-1"), ShoppingListID: "list-1"})
	r.send(b, &depot.ReleaseBot{CommandMeta: meta("c4", "bot-2"), ShoppingListID: "list-1"})
	want := []struct {
		accepted bool
		version  int64
		message  string
	}{{true, 1, ""}, {false, 1, "the bot is busy"}, {true, 2, ""}, {true, 0, ""}}
	for i, w := range want {
		if res := r.nextResult(); res.Accepted != w.accepted || res.Version != w.version || res.Message != w.message {
			t.Fatalf("command %d: %+v", i+1, res)
		}
	}
	if ev := r.nextEvent(topics.Bots).(*depot.BotAssigned); ev.ShoppingListID != "list-1" {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.nextEvent(topics.Bots).(*depot.BotReleased); ev.ShoppingListID != "list-1" || ev.AggregateVersion != 2 {
		t.Fatalf("unexpected %+v", ev)
	}
	if v := r.tt.TableValue(goka.Table(topics.Bots.Table.Name), "bot-2"); v != nil {
		t.Fatalf("releasing an unknown bot stored %v", v)
	}
}
