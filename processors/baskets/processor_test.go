package baskets

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// rig runs the basket group under goka's tester. The customers, products
// and stores tables it looks up are filled by hand with the snapshots
// their own groups would write.
type rig struct {
	t       *testing.T
	tt      *tester.Tester
	sd      *serde.Serde
	events  *tester.QueueTracker
	results *tester.QueueTracker
}

func newRig(t *testing.T) *rig {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	deps := engine.Deps{Serde: sd, Partitions: func(topics.Topic) int32 { return 1 },
		Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p, err := goka.NewProcessor(nil, BasketGroup(deps), goka.WithTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Run(ctx) }()
	return &rig{t: t, tt: tt, sd: sd,
		events:  tt.NewQueueTracker(topics.Baskets.Events.Name),
		results: tt.NewQueueTracker(topics.Results.Name),
	}
}

// put writes a snapshot into another aggregate's table.
func (r *rig) put(table string, id string, snap any) {
	r.t.Helper()
	b, err := r.sd.Encode(table, snap)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.SetTableValue(goka.Table(table), id, b)
}

func (r *rig) send(cmd baskets.BasketCommand) {
	r.t.Helper()
	b, err := r.sd.Encode(topics.Baskets.Commands.Name, cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume(topics.Baskets.Commands.Name, cmd.CommandMetadata().AggregateID, b)
}

func (r *rig) nextEvent() baskets.BasketEvent {
	r.t.Helper()
	_, v, ok := r.events.Next()
	if !ok {
		r.t.Fatal("no basket event")
	}
	ev, err := r.sd.Decode(context.Background(), serde.Position{Topic: topics.Baskets.Events.Name}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return ev.(baskets.BasketEvent)
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

func (r *rig) basket(id string) *baskets.BasketSnapshot {
	r.t.Helper()
	v := r.tt.TableValue(goka.Table(topics.Baskets.Table.Name), id)
	if v == nil {
		return nil
	}
	s, err := r.sd.Decode(context.Background(), serde.Position{Topic: topics.Baskets.Table.Name}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return s.(*baskets.BasketSnapshot)
}

func (r *rig) noMoreEvents() {
	r.t.Helper()
	if _, _, ok := r.events.Next(); ok {
		r.t.Fatal("an unexpected basket event")
	}
}

func meta(cmdID, basketID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: cmdID, AggregateID: basketID, IssuedAt: time.Now()}
}

func (r *rig) registerCustomer(id string) {
	r.put(topics.Customers.Table.Name, id, &customers.CustomerSnapshot{AggregateID: id, Version: 1, LastOffset: 0,
		State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}})
}

func (r *rig) createStoreWithWizard() {
	r.put(topics.Stores.Table.Name, "store-1", &stores.StoreSnapshot{AggregateID: "store-1", Version: 1,
		State: stores.Store{ID: "store-1", Name: "Nic & Naks", Location: "Level 1"}})
	r.put(topics.Products.Table.Name, "wizard", &stores.ProductSnapshot{AggregateID: "wizard", Version: 1,
		State: stores.Product{ID: "wizard", StoreID: "store-1", Name: "Wizard w/ crystal", PriceCents: 999}})
}

func TestStartBasketLooksUpTheCustomersTable(t *testing.T) {
	r := newRig(t)
	r.send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	if res := r.nextResult(); res.Accepted || res.Message != "the customer does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
	if s := r.basket("b1"); s != nil {
		t.Fatalf("a refused start stored %+v", s)
	}

	r.registerCustomer("cust-1")
	r.send(&baskets.StartBasket{CommandMeta: meta("c2", "b1"), CustomerID: "cust-1"})
	if res := r.nextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "basket" {
		t.Fatalf("unexpected %+v", res)
	}
	if ev := r.nextEvent().(*baskets.BasketStarted); ev.CustomerID != "cust-1" || ev.AggregateID != "b1" || ev.AggregateVersion != 1 {
		t.Fatalf("unexpected %+v", ev)
	}
}

func TestAddItemCapturesNamesAndPriceFromTheProductsAndStoresTables(t *testing.T) {
	r := newRig(t)
	r.registerCustomer("cust-1")
	r.send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	r.nextResult()
	r.nextEvent()

	r.send(&baskets.AddItem{CommandMeta: meta("c2", "b1"), ProductID: "wizard", Quantity: 10})
	if res := r.nextResult(); res.Accepted || res.Message != "product fallback failed: product was not located" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
	r.noMoreEvents()

	r.createStoreWithWizard()
	r.send(&baskets.AddItem{CommandMeta: meta("c3", "b1"), ProductID: "wizard", Quantity: 10})
	if res := r.nextResult(); !res.Accepted || res.Version != 2 {
		t.Fatalf("unexpected %+v", res)
	}
	if got := r.nextEvent().(*baskets.BasketItemAdded).Item; got != wizard(10) {
		t.Fatalf("item %+v, want %+v", got, wizard(10))
	}

	// The price changes in the stores context; the basket keeps the one it captured.
	r.put(topics.Products.Table.Name, "wizard", &stores.ProductSnapshot{AggregateID: "wizard", Version: 2,
		State: stores.Product{ID: "wizard", StoreID: "store-1", Name: "Wizard w/ crystal", PriceCents: 1299}})
	r.send(&baskets.AddItem{CommandMeta: meta("c4", "b1"), ProductID: "wizard", Quantity: 1})
	r.nextResult()
	r.nextEvent()

	snap := r.basket("b1")
	if snap.Version != 3 || snap.State.Status != "open" || snap.State.Items["wizard"] != wizard(11) {
		t.Fatalf("unexpected basket %+v", snap)
	}
}

func TestCheckoutEmitsTheLinesAndTotal(t *testing.T) {
	r := newRig(t)
	r.registerCustomer("cust-1")
	r.createStoreWithWizard()
	r.send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	r.send(&baskets.AddItem{CommandMeta: meta("c2", "b1"), ProductID: "wizard", Quantity: 3})
	r.send(&baskets.RemoveItem{CommandMeta: meta("c3", "b1"), ProductID: "wizard", Quantity: 1})
	r.send(&baskets.RemoveItem{CommandMeta: meta("c4", "b1"), ProductID: "not-in-basket", Quantity: 1})
	r.send(&baskets.CheckoutBasket{CommandMeta: meta("c5", "b1"), PaymentID: "pay-1"})
	for i := range 5 {
		if res := r.nextResult(); !res.Accepted {
			t.Fatalf("command %d refused: %+v", i+1, res)
		}
	}
	r.nextEvent()
	r.nextEvent()
	if ev := r.nextEvent().(*baskets.BasketItemRemoved); ev.Quantity != 1 || ev.AggregateVersion != 3 {
		t.Fatalf("unexpected %+v", ev)
	}
	out := r.nextEvent().(*baskets.BasketCheckedOut)
	if out.CustomerID != "cust-1" || out.PaymentID != "pay-1" || len(out.Items) != 1 || out.Items[0] != wizard(2) || out.TotalCents != 1998 || out.AggregateVersion != 4 {
		t.Fatalf("unexpected %+v", out)
	}
	r.noMoreEvents()
	if snap := r.basket("b1"); snap.State.Status != "checked_out" || snap.State.PaymentID != "pay-1" || snap.Version != 4 {
		t.Fatalf("unexpected basket %+v", snap)
	}

	r.send(&baskets.CancelBasket{CommandMeta: meta("c6", "b1")})
	if res := r.nextResult(); res.Accepted || res.Message != "the basket cannot be cancelled" || res.Kind != "invalid" || res.Version != 4 {
		t.Fatalf("unexpected %+v", res)
	}
}
