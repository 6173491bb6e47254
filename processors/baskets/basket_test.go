package baskets

import (
	"fmt"
	"math"
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

type basketSpec = aggregatetest.Spec[baskets.BasketCommand, baskets.BasketEvent]

// The world the basket sees through the other contexts' tables.
func customer(id string) aggregate.Facts {
	return aggregatetest.Fact(topics.Customers.Table.Name, id, customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555", Enabled: true})
}

func store(id, name string) aggregate.Facts {
	return aggregatetest.Fact(topics.Stores.Table.Name, id, stores.Store{ID: id, Name: name, Location: "Level 1"})
}

func product(id, storeID, name string, price int64, removed bool) aggregate.Facts {
	return aggregatetest.Fact(topics.Products.Table.Name, id, stores.Product{ID: id, StoreID: storeID, Name: name, PriceCents: price, Removed: removed})
}

// A store "Nic & Naks" with "Wizard w/ crystal" at 9.99 (reference
// scenario 6) and "Dragon" at 5.00.
var mall = aggregatetest.Facts(
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

// The limits' edges (docs/adr/0014): "crown" at the largest price,
// 1,000,000.00; "penny" at 0.01; "free" at nothing; "issue-20" at the price
// issue 20 added before there was a limit; "minus" with a negative price in
// the table (a producer that bypassed the product's rules).
const (
	maxPrice    = 100_000_000   // 1,000,000.00
	maxTotal    = 1_000_000_000 // 10,000,000.00
	issuePrice  = 4_611_686_018_427_387_903
	maxQuantity = 1_000
)

var limitsMall = aggregatetest.Facts(mall,
	product("crown", "store-1", "crown", maxPrice, false),
	product("penny", "store-1", "penny", 1, false),
	product("free", "store-1", "free", 0, false),
	product("issue-20", "store-1", "issue-20", issuePrice, false),
	product("minus", "store-1", "minus", -1, false),
)

func line(id string, price int64, q int32) baskets.BasketItem {
	return baskets.BasketItem{ProductID: id, StoreID: "store-1", StoreName: "Nic & Naks", ProductName: id, PriceCents: price, Quantity: q}
}

// fullBasket is an open basket with n different products at 0.01 each.
func fullBasket(n int) []baskets.BasketEvent {
	evs := []baskets.BasketEvent{started()}
	for i := range n {
		evs = append(evs, added(line(fmt.Sprintf("p%03d", i), 1, 1)))
	}
	return evs
}

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
			Facts: aggregatetest.Facts(mall, product("wizard", "store-1", "Wizard (rebranded)", 1500, false)),
			Then:  []baskets.BasketEvent{added(wizard(2))}},
		{Name: "adding a product that does not exist fails",
			Given: open, When: &baskets.AddItem{ProductID: "nope", Quantity: 1}, Facts: mall, Err: ErrProductNotLocated},
		{Name: "adding a removed product fails",
			Given: open, When: &baskets.AddItem{ProductID: "gone", Quantity: 1}, Facts: mall, Err: ErrProductNotLocated},
		{Name: "adding more of a product removed since it was first added fails",
			Given: withWizards, When: &baskets.AddItem{ProductID: "wizard", Quantity: 1},
			Facts: aggregatetest.Facts(mall, product("wizard", "store-1", "Wizard w/ crystal", 999, true)), Err: ErrProductNotLocated},
		{Name: "adding a product whose store is not in the stores table fails",
			Given: open, When: &baskets.AddItem{ProductID: "orphan", Quantity: 1}, Facts: mall, Err: ErrProductNotLocated},
		{Name: "adding a negative quantity fails",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: -1}, Facts: mall, Err: ErrItemQuantityNegative},
		{Name: "adding zero of a product changes nothing",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: 0}, Facts: mall},
		{Name: "adding 1,000 of a product, the most a line holds, succeeds",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: maxQuantity}, Facts: mall,
			Then: []baskets.BasketEvent{added(wizard(maxQuantity))}},
		{Name: "adding to a line up to 1,000 succeeds",
			Given: []baskets.BasketEvent{started(), added(wizard(maxQuantity - 1))},
			When:  &baskets.AddItem{ProductID: "wizard", Quantity: 1}, Facts: mall,
			Then: []baskets.BasketEvent{added(wizard(1))}},
		{Name: "adding 1,001 of a product fails",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: maxQuantity + 1}, Facts: mall, Err: ErrItemQuantityTooLarge},
		{Name: "adding to a line of 1,000 fails (issue 20: 200 adds of 50 made a line of 10,000)",
			Given: []baskets.BasketEvent{started(), added(wizard(maxQuantity))},
			When:  &baskets.AddItem{ProductID: "wizard", Quantity: 50}, Facts: mall, Err: ErrItemQuantityTooLarge},
		{Name: "adding 2,147,483,647 of a product (issue 20) fails",
			Given: open, When: &baskets.AddItem{ProductID: "wizard", Quantity: math.MaxInt32}, Facts: mall, Err: ErrItemQuantityTooLarge},
		{Name: "adding to a line filled past the limit before it existed fails",
			Given: []baskets.BasketEvent{started(), added(wizard(math.MaxInt32 - 47))},
			When:  &baskets.AddItem{ProductID: "wizard", Quantity: 100}, Facts: mall, Err: ErrItemQuantityTooLarge},
		{Name: "adding more of a product already in a full basket succeeds",
			Given: fullBasket(100), When: &baskets.AddItem{ProductID: "p000", Quantity: 1},
			Facts: aggregatetest.Facts(mall, product("p000", "store-1", "p000", 1, false)),
			Then:  []baskets.BasketEvent{added(line("p000", 1, 1))}},
		{Name: "adding a 101st product fails",
			Given: fullBasket(100), When: &baskets.AddItem{ProductID: "wizard", Quantity: 1}, Facts: mall, Err: ErrBasketHasTooManyProducts},
		{Name: "adding a 100th product succeeds",
			Given: fullBasket(99), When: &baskets.AddItem{ProductID: "wizard", Quantity: 1}, Facts: mall,
			Then: []baskets.BasketEvent{added(wizard(1))}},
		{Name: "adding up to a total of exactly 10,000,000.00 succeeds",
			Given: open, When: &baskets.AddItem{ProductID: "crown", Quantity: 10}, Facts: limitsMall,
			Then: []baskets.BasketEvent{added(line("crown", maxPrice, 10))}},
		{Name: "adding one cent past a total of 10,000,000.00 fails",
			Given: []baskets.BasketEvent{started(), added(line("crown", maxPrice, 10))},
			When:  &baskets.AddItem{ProductID: "penny", Quantity: 1}, Facts: limitsMall, Err: ErrBasketTotalTooLarge},
		{Name: "adding a free product to a basket at the largest total succeeds",
			Given: []baskets.BasketEvent{started(), added(line("crown", maxPrice, 10))},
			When:  &baskets.AddItem{ProductID: "free", Quantity: 1}, Facts: limitsMall,
			Then: []baskets.BasketEvent{added(line("free", 0, 1))}},
		{Name: "adding 11 of a product at 1,000,000.00 fails",
			Given: open, When: &baskets.AddItem{ProductID: "crown", Quantity: 11}, Facts: limitsMall, Err: ErrBasketTotalTooLarge},
		{Name: "adding a product whose price in the table is above 1,000,000.00 fails",
			Given: open, When: &baskets.AddItem{ProductID: "issue-20", Quantity: 1}, Facts: limitsMall, Err: ErrProductPriceTooLarge},
		{Name: "adding a product whose price in the table is negative fails",
			Given: open, When: &baskets.AddItem{ProductID: "minus", Quantity: 1}, Facts: limitsMall, Err: ErrProductPriceNegative},
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
		{Name: "checking out a basket at the limits carries its total of 10,000,000.00",
			Given: []baskets.BasketEvent{started(), added(line("crown", maxPrice, 9)), added(line("big", 99_999_000, 1)),
				added(line("penny", 1, maxQuantity))},
			When: &baskets.CheckoutBasket{PaymentID: "pay-1"},
			Then: []baskets.BasketEvent{&baskets.BasketCheckedOut{CustomerID: "cust-1", PaymentID: "pay-1",
				Items:      []baskets.BasketItem{line("big", 99_999_000, 1), line("crown", maxPrice, 9), line("penny", 1, maxQuantity)},
				TotalCents: maxTotal}}}, // 999,990.00 + 9 × 1,000,000.00 + 1,000 × 0.01
		{Name: "checking out the basket of issue 20, filled before the limits, fails",
			Given: []baskets.BasketEvent{started(), added(line("issue-20", issuePrice, math.MaxInt32))},
			When:  &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrProductPriceTooLarge},
		{Name: "checking out a line of 10,000 filled before the limits fails",
			Given: []baskets.BasketEvent{started(), added(wizard(10_000))},
			When:  &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrItemQuantityTooLarge},
		{Name: "checking out 101 products filled before the limits fails",
			Given: fullBasket(101), When: &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketHasTooManyProducts},
		{Name: "checking out a total above 10,000,000.00 filled before the limits fails",
			Given: []baskets.BasketEvent{started(), added(line("crown", maxPrice, maxQuantity))},
			When:  &baskets.CheckoutBasket{PaymentID: "pay-1"}, Err: ErrBasketTotalTooLarge},
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
	// The limits of docs/adr/0014 (docs/domain.md, "Limits on money and quantities").
	for err, want := range map[*aggregate.Rejection]string{
		ErrItemQuantityTooLarge:     "the item quantity cannot exceed 1,000",
		ErrBasketHasTooManyProducts: "the basket cannot hold more than 100 different products",
		ErrBasketTotalTooLarge:      "the basket total cannot exceed 10,000,000.00",
		ErrProductPriceTooLarge:     "the product price cannot exceed 1,000,000.00",
		ErrProductPriceNegative:     "the product price cannot be negative",
	} {
		if err.Message != want || err.Kind != aggregate.Invalid {
			t.Errorf("%s says %q (%s), want %q (400)", err.Code, err.Message, err.Kind, want)
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

// Sum is exact or says it cannot be; Total, which the API shows, never
// shows a wrapped amount.
func TestTheTotalOfABasketPastInt64IsNotWrapped(t *testing.T) {
	issue20 := []baskets.BasketItem{line("issue-20", issuePrice, math.MaxInt32)}
	if total, ok := Sum(issue20); ok {
		t.Fatalf("Sum of issue 20's basket = %d, want refused", total)
	}
	if total := Total(issue20); total != math.MaxInt64 {
		t.Fatalf("Total of issue 20's basket = %d, want the largest int64", total)
	}
	two := []baskets.BasketItem{line("a", math.MaxInt64/2, 1), line("b", math.MaxInt64/2+2, 1)}
	if total, ok := Sum(two); ok {
		t.Fatalf("Sum of two halves past int64 = %d, want refused", total)
	}
	if total, ok := Sum([]baskets.BasketItem{wizard(3), dragon(2)}); !ok || total != 3*999+2*500 {
		t.Fatalf("Sum = %d, %v", total, ok)
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
