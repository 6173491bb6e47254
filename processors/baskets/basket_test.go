package baskets

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

type basketSpec = aggregatetest.Spec[baskets.BasketCommand, baskets.BasketEvent]

// The world the basket sees through the other contexts' tables.
func customer(id string) aggregate.Facts {
	return aggregate.Facts{{Table: topics.Customers.Table.Name, Key: id}: &schemas.Snapshot[customers.Customer]{
		AggregateID: id, Version: 1, State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555", Enabled: true}}}
}

func store(id, name string) aggregate.Facts {
	return aggregate.Facts{{Table: topics.Stores.Table.Name, Key: id}: &schemas.Snapshot[stores.Store]{
		AggregateID: id, Version: 1, State: stores.Store{ID: id, Name: name, Location: "Level 1"}}}
}

func product(id, storeID, name string, price int64, removed bool) aggregate.Facts {
	return aggregate.Facts{{Table: topics.Products.Table.Name, Key: id}: &schemas.Snapshot[stores.Product]{
		AggregateID: id, Version: 1, State: stores.Product{ID: id, StoreID: storeID, Name: name, PriceCents: price, Removed: removed}}}
}

func facts(all ...aggregate.Facts) aggregate.Facts {
	out := aggregate.Facts{}
	for _, f := range all {
		for k, v := range f {
			out[k] = v
		}
	}
	return out
}

// A store "Nic & Naks" with "Wizard w/ crystal" at 9.99 (reference
// scenario 6) and "Dragon" at 5.00.
var mall = facts(
	store("store-1", "Nic & Naks"),
	product("wizard", "store-1", "Wizard w/ crystal", 999, false),
	product("dragon", "store-1", "Dragon", 500, false),
	product("gone", "store-1", "Gone", 100, true),
	product("orphan", "store-9", "Orphan", 100, false),
)

func started() baskets.BasketEvent { return &baskets.BasketStarted{CustomerID: "cust-1"} }

func wizard(q int32) baskets.BasketItem {
	return baskets.BasketItem{ProductID: "wizard", StoreID: "store-1", StoreName: "Nic & Naks", ProductName: "Wizard w/ crystal", PriceCents: 999, Quantity: q}
}

func dragon(q int32) baskets.BasketItem {
	return baskets.BasketItem{ProductID: "dragon", StoreID: "store-1", StoreName: "Nic & Naks", ProductName: "Dragon", PriceCents: 500, Quantity: q}
}

func added(it baskets.BasketItem) baskets.BasketEvent { return &baskets.BasketItemAdded{Item: it} }

func TestBasketRules(t *testing.T) {
	open := []baskets.BasketEvent{started()}
	withWizards := []baskets.BasketEvent{started(), added(wizard(10))}
	canceled := []baskets.BasketEvent{started(), added(wizard(1)), &baskets.BasketCanceled{}}
	checkedOut := []baskets.BasketEvent{started(), added(wizard(1)), &baskets.BasketCheckedOut{CustomerID: "cust-1", PaymentID: "pay-1", Items: []baskets.BasketItem{wizard(1)}, TotalCents: 999}}

	aggregatetest.Run(t, BasketRules, []basketSpec{
		// StartBasket
		{Name: "a registered customer can start a basket",
			When: &baskets.StartBasket{CustomerID: "cust-1"}, Facts: customer("cust-1"),
			Then: []baskets.BasketEvent{started()}},
		{Name: "starting a basket without a customer fails",
			When: &baskets.StartBasket{CustomerID: " "}, Err: ErrCustomerIDBlank},
		{Name: "starting a basket that exists fails",
			Given: open, When: &baskets.StartBasket{CustomerID: "cust-1"}, Facts: customer("cust-1"), Err: ErrBasketCannotModify},
		{Name: "starting a basket for an unknown customer fails",
			When: &baskets.StartBasket{CustomerID: "cust-1"}, Err: ErrCustomerNotFound},

		// AddItem
		{Name: "given Wizard w/ crystal at 9.99, adding 10 of it to an open basket succeeds",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: 10}, Facts: mall,
			Then: []baskets.BasketEvent{added(wizard(10))}},
		{Name: "adding a product already in the basket adds to its quantity at the price captured first",
			Given: withWizards, When: &baskets.AddItem{ProductID: "wizard", Quantity: 2},
			Facts: facts(mall, product("wizard", "store-1", "Wizard (rebranded)", 1500, false)),
			Then:  []baskets.BasketEvent{added(wizard(2))}},
		{Name: "adding a product that does not exist fails",
			Given: open, When: &baskets.AddItem{ProductID: "nope", Quantity: 1}, Facts: mall, Err: ErrProductNotLocated},
		{Name: "adding a removed product fails",
			Given: open, When: &baskets.AddItem{ProductID: "gone", Quantity: 1}, Facts: mall, Err: ErrProductNotLocated},
		{Name: "adding more of a product removed since it was first added fails",
			Given: withWizards, When: &baskets.AddItem{ProductID: "wizard", Quantity: 1},
			Facts: facts(mall, product("wizard", "store-1", "Wizard w/ crystal", 999, true)), Err: ErrProductNotLocated},
		{Name: "adding a product whose store is not in the stores table fails",
			Given: open, When: &baskets.AddItem{ProductID: "orphan", Quantity: 1}, Facts: mall, Err: ErrProductNotLocated},
		{Name: "adding a negative quantity fails",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: -1}, Facts: mall, Err: ErrItemQuantityNegative},
		{Name: "adding zero of a product changes nothing",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: 0}, Facts: mall},
		{Name: "adding past the largest quantity fails",
			Given: []baskets.BasketEvent{started(), added(wizard(2147483600))},
			When:  &baskets.AddItem{ProductID: "wizard", Quantity: 100}, Facts: mall, Err: ErrItemQuantityTooLarge},
		{Name: "adding to a canceled basket fails",
			Given: canceled, When: &baskets.AddItem{ProductID: "wizard", Quantity: 1}, Facts: mall, Err: ErrBasketCannotModify},
		{Name: "adding to a checked-out basket fails",
			Given: checkedOut, When: &baskets.AddItem{ProductID: "wizard", Quantity: 1}, Facts: mall, Err: ErrBasketCannotModify},
		{Name: "adding to an unknown basket fails",
			When: &baskets.AddItem{ProductID: "wizard", Quantity: 1}, Facts: mall, Err: ErrBasketNotFound},

		// RemoveItem
		{Name: "removing lowers the quantity",
			Given: withWizards, When: &baskets.RemoveItem{ProductID: "wizard", Quantity: 3},
			Then: []baskets.BasketEvent{&baskets.BasketItemRemoved{ProductID: "wizard", Quantity: 3}}},
		{Name: "removing more than the line holds removes what it holds",
			Given: withWizards, When: &baskets.RemoveItem{ProductID: "wizard", Quantity: 11},
			Then: []baskets.BasketEvent{&baskets.BasketItemRemoved{ProductID: "wizard", Quantity: 10}}},
		{Name: "removing a product that is not in the basket changes nothing",
			Given: withWizards, When: &baskets.RemoveItem{ProductID: "dragon", Quantity: 1}},
		{Name: "removing a negative quantity fails",
			Given: withWizards, When: &baskets.RemoveItem{ProductID: "wizard", Quantity: -1}, Err: ErrItemQuantityNegative},
		{Name: "removing from a canceled basket fails",
			Given: canceled, When: &baskets.RemoveItem{ProductID: "wizard", Quantity: 1}, Err: ErrBasketCannotModify},
		{Name: "removing from a checked-out basket fails",
			Given: checkedOut, When: &baskets.RemoveItem{ProductID: "wizard", Quantity: 1}, Err: ErrBasketCannotModify},
		{Name: "removing from an unknown basket fails",
			When: &baskets.RemoveItem{ProductID: "wizard", Quantity: 1}, Err: ErrBasketNotFound},

		// CancelBasket
		{Name: "canceling an open basket",
			Given: withWizards, When: &baskets.CancelBasket{},
			Then: []baskets.BasketEvent{&baskets.BasketCanceled{}}},
		{Name: "canceling a canceled basket fails",
			Given: canceled, When: &baskets.CancelBasket{}, Err: ErrBasketCannotCancel},
		{Name: "canceling a checked-out basket fails",
			Given: checkedOut, When: &baskets.CancelBasket{}, Err: ErrBasketCannotCancel},
		{Name: "canceling an unknown basket fails",
			When: &baskets.CancelBasket{}, Err: ErrBasketNotFound},

		// CheckoutBasket
		{Name: "checking out carries the customer, the payment, the lines and the total",
			Given: []baskets.BasketEvent{started(), added(wizard(10)), added(dragon(1)), added(wizard(1))},
			When:  &baskets.CheckoutBasket{PaymentID: "pay-1"},
			Then: []baskets.BasketEvent{&baskets.BasketCheckedOut{CustomerID: "cust-1", PaymentID: "pay-1",
				Items: []baskets.BasketItem{dragon(1), wizard(11)}, TotalCents: 500 + 11*999}}},
		{Name: "checking out an empty basket fails",
			Given: open, When: &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketHasNoItems},
		{Name: "a basket whose lines were all removed has no items",
			Given: []baskets.BasketEvent{started(), added(wizard(2)), &baskets.BasketItemRemoved{ProductID: "wizard", Quantity: 2}},
			When:  &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketHasNoItems},
		{Name: "checking out without a payment fails",
			Given: withWizards, When: &baskets.CheckoutBasket{PaymentID: ""}, Err: ErrPaymentIDBlank},
		{Name: "checking out a canceled basket fails",
			Given: canceled, When: &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketCannotModify},
		{Name: "checking out twice fails",
			Given: checkedOut, When: &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketCannotModify},
		{Name: "checking out an unknown basket fails",
			When: &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketNotFound},
	})
}

func TestTheRejectionTextsAreDomainMds(t *testing.T) {
	for err, want := range map[*aggregate.Rejection]string{
		ErrCustomerIDBlank:      "the customer id cannot be blank",
		ErrBasketCannotModify:   "the basket cannot be modified",
		ErrCustomerNotFound:     "the customer does not exist",
		ErrItemQuantityNegative: "the item quantity cannot be negative",
		ErrProductNotLocated:    "product fallback failed: product was not located",
		ErrBasketCannotCancel:   "the basket cannot be cancelled",
		ErrBasketHasNoItems:     "the basket has no items",
		ErrPaymentIDBlank:       "the payment id cannot be blank",
	} {
		if err.Message != want {
			t.Errorf("%s says %q, domain.md says %q", err.Code, err.Message, want)
		}
	}
	for _, err := range []*aggregate.Rejection{ErrCustomerNotFound, ErrProductNotLocated, ErrBasketNotFound} {
		if err.Kind != aggregate.NotFound {
			t.Errorf("%s is %s, want not_found (404)", err.Code, err.Kind)
		}
	}
}

func TestBasketState(t *testing.T) {
	var b baskets.Basket
	for _, ev := range []baskets.BasketEvent{
		started(), added(wizard(10)), added(dragon(2)), added(wizard(1)),
		&baskets.BasketItemRemoved{ProductID: "dragon", Quantity: 1},
		&baskets.BasketItemRemoved{ProductID: "wizard", Quantity: 11},
	} {
		ev.EventMetadata().AggregateID = "basket-1"
		var err error
		if b, err = evolveBasket(b, ev); err != nil {
			t.Fatal(err)
		}
	}
	if b.ID != "basket-1" || b.CustomerID != "cust-1" || b.Status != StatusOpen {
		t.Fatalf("unexpected basket %+v", b)
	}
	if _, ok := b.Items["wizard"]; ok {
		t.Errorf("a line removed down to zero is still there: %+v", b.Items)
	}
	if got := b.Items["dragon"]; got != dragon(1) {
		t.Errorf("dragon line %+v, want %+v", got, dragon(1))
	}
	if Units(b.Items) != 1 || Total(Lines(&b)) != 500 {
		t.Errorf("units %d, total %d", Units(b.Items), Total(Lines(&b)))
	}
	b, _ = evolveBasket(b, &baskets.BasketCheckedOut{PaymentID: "pay-1"})
	if b.Status != StatusCheckedOut || b.PaymentID != "pay-1" {
		t.Errorf("after checkout %+v", b)
	}
}

func TestEvolveDoesNotMutateTheStateItWasGiven(t *testing.T) {
	before := baskets.Basket{Items: map[string]baskets.BasketItem{"wizard": wizard(1)}, Status: StatusOpen}
	if _, err := evolveBasket(before, added(wizard(2))); err != nil {
		t.Fatal(err)
	}
	if before.Items["wizard"].Quantity != 1 {
		t.Fatalf("evolve changed the given state: %+v", before.Items)
	}
}

func TestBasketEvolveRejectsUnknownEvents(t *testing.T) {
	if _, err := evolveBasket(baskets.Basket{}, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
