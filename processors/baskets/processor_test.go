package baskets

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The basket group runs under goka's tester (enginetest). The customers,
// products and stores tables it looks up are filled by hand with the
// snapshots their own groups would write.

var meta = enginetest.Meta

func basket(r *enginetest.Rig, id string) *baskets.BasketSnapshot {
	return enginetest.Snapshot[baskets.Basket](r, topics.Baskets, id)
}

func registerCustomer(r *enginetest.Rig, id string) {
	enginetest.SetSnapshot(r, topics.Customers, &customers.CustomerSnapshot{AggregateID: id, Version: 1, LastOffset: 0,
		State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}})
}

func createStoreWithWizard(r *enginetest.Rig) {
	enginetest.SetSnapshot(r, topics.Stores, &stores.StoreSnapshot{AggregateID: "store-1", Version: 1,
		State: stores.Store{ID: "store-1", Name: "Nic & Naks", Location: "Level 1"}})
	enginetest.SetSnapshot(r, topics.Products, &stores.ProductSnapshot{AggregateID: "wizard", Version: 1,
		State: stores.Product{ID: "wizard", StoreID: "store-1", Name: "Wizard w/ crystal", PriceCents: 999}})
}

func TestStartBasketLooksUpTheCustomersTable(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	if res := r.NextResult(); res.Accepted || res.Message != "the customer does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
	if s := basket(r, "b1"); s != nil {
		t.Fatalf("a refused start stored %+v", s)
	}

	registerCustomer(r, "cust-1")
	r.Send(&baskets.StartBasket{CommandMeta: meta("c2", "b1"), CustomerID: "cust-1"})
	if res := r.NextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "basket" {
		t.Fatalf("unexpected %+v", res)
	}
	if ev := r.NextEvent(topics.Baskets).(*baskets.BasketStarted); ev.CustomerID != "cust-1" || ev.AggregateID != "b1" || ev.AggregateVersion != 1 {
		t.Fatalf("unexpected %+v", ev)
	}
}

// The baskets group reads customers from its own copy of the customers
// table, which can trail the topic. A lookup that misses asks that copy
// to catch up with the topic (here it brings the customer in) and looks
// again before the rules see "does not exist"; if the copy cannot catch
// up, the miss stands.
func TestAStartBasketWaitsForItsCopyOfTheCustomersTableToCatchUp(t *testing.T) {
	var r *enginetest.Rig
	var asked []string
	r = enginetest.New(t, Groups, enginetest.WithCatchUp(func(_ context.Context, group, table, key string) error {
		asked = append(asked, group+" "+table+" "+key)
		if key != "cust-1" {
			return errors.New("the copy is stuck")
		}
		registerCustomer(r, key)
		return nil
	}))
	r.Send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	if res := r.NextResult(); !res.Accepted || res.Version != 1 {
		t.Fatalf("the customer the copy caught up with was not found: %+v", res)
	}
	r.Send(&baskets.StartBasket{CommandMeta: meta("c2", "b2"), CustomerID: "cust-2"})
	if res := r.NextResult(); res.Accepted || res.Code != "customer_not_found" {
		t.Fatalf("a customer still missing after the copy gave up: %+v", res)
	}
	want := []string{"mallbots.baskets mallbots.customers-table cust-1", "mallbots.baskets mallbots.customers-table cust-2"}
	if !slices.Equal(asked, want) {
		t.Fatalf("CatchUp asked %q, want %q", asked, want)
	}
}

func TestAddItemCapturesNamesAndPriceFromTheProductsAndStoresTables(t *testing.T) {
	r := enginetest.New(t, Groups)
	registerCustomer(r, "cust-1")
	r.Send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	r.NextResult()
	r.NextEvent(topics.Baskets)

	r.Send(&baskets.AddItem{CommandMeta: meta("c2", "b1"), ProductID: "wizard", Quantity: 10})
	if res := r.NextResult(); res.Accepted || res.Message != "product fallback failed: product was not located" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
	r.NoEvent(topics.Baskets)

	createStoreWithWizard(r)
	r.Send(&baskets.AddItem{CommandMeta: meta("c3", "b1"), ProductID: "wizard", Quantity: 10})
	if res := r.NextResult(); !res.Accepted || res.Version != 2 {
		t.Fatalf("unexpected %+v", res)
	}
	if got := r.NextEvent(topics.Baskets).(*baskets.BasketItemAdded).Item; got != wizard(10) {
		t.Fatalf("item %+v, want %+v", got, wizard(10))
	}

	// The price changes in the stores context; the basket keeps the one it captured.
	enginetest.SetSnapshot(r, topics.Products, &stores.ProductSnapshot{AggregateID: "wizard", Version: 2,
		State: stores.Product{ID: "wizard", StoreID: "store-1", Name: "Wizard w/ crystal", PriceCents: 1299}})
	r.Send(&baskets.AddItem{CommandMeta: meta("c4", "b1"), ProductID: "wizard", Quantity: 1})
	r.NextResult()
	r.NextEvent(topics.Baskets)

	snap := basket(r, "b1")
	if snap.Version != 3 || snap.State.Status != "open" || snap.State.Items["wizard"] != wizard(11) {
		t.Fatalf("unexpected basket %+v", snap)
	}
}

func TestCheckoutEmitsTheLinesAndTotal(t *testing.T) {
	r := enginetest.New(t, Groups)
	registerCustomer(r, "cust-1")
	createStoreWithWizard(r)
	r.Send(&baskets.StartBasket{CommandMeta: meta("c1", "b1"), CustomerID: "cust-1"})
	r.Send(&baskets.AddItem{CommandMeta: meta("c2", "b1"), ProductID: "wizard", Quantity: 3})
	r.Send(&baskets.RemoveItem{CommandMeta: meta("c3", "b1"), ProductID: "wizard", Quantity: 1})
	r.Send(&baskets.RemoveItem{CommandMeta: meta("c4", "b1"), ProductID: "not-in-basket", Quantity: 1})
	r.Send(&baskets.CheckoutBasket{CommandMeta: meta("c5", "b1"), PaymentID: "pay-1"})
	for i := range 5 {
		if res := r.NextResult(); !res.Accepted {
			t.Fatalf("command %d refused: %+v", i+1, res)
		}
	}
	r.NextEvent(topics.Baskets)
	r.NextEvent(topics.Baskets)
	if ev := r.NextEvent(topics.Baskets).(*baskets.BasketItemRemoved); ev.Quantity != 1 || ev.AggregateVersion != 3 {
		t.Fatalf("unexpected %+v", ev)
	}
	out := r.NextEvent(topics.Baskets).(*baskets.BasketCheckedOut)
	if out.CustomerID != "cust-1" || out.PaymentID != "pay-1" || len(out.Items) != 1 || out.Items[0] != wizard(2) || out.TotalCents != 1998 || out.AggregateVersion != 4 {
		t.Fatalf("unexpected %+v", out)
	}
	r.NoEvent(topics.Baskets)
	if snap := basket(r, "b1"); snap.State.Status != "checked_out" || snap.State.PaymentID != "pay-1" || snap.Version != 4 {
		t.Fatalf("unexpected basket %+v", snap)
	}

	r.Send(&baskets.CancelBasket{CommandMeta: meta("c6", "b1")})
	if res := r.NextResult(); res.Accepted || res.Message != "the basket cannot be cancelled" || res.Kind != "invalid" || res.Version != 4 {
		t.Fatalf("unexpected %+v", res)
	}
}
