package ordering

import (
	"fmt"
	"math"
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/ordering"
)

type orderSpec = aggregatetest.Spec[ordering.OrderCommand, ordering.OrderEvent]

var lines = []ordering.OrderItem{
	{ProductID: "wizard", StoreID: "store-1", StoreName: "Nic & Naks", ProductName: "Wizard w/ crystal", PriceCents: 999, Quantity: 10},
	{ProductID: "dragon", StoreID: "store-2", StoreName: "Waldorf Books", ProductName: "Dragon", PriceCents: 500, Quantity: 1},
}

const total = 10*999 + 500

func create() *ordering.CreateOrder {
	return &ordering.CreateOrder{CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total}
}

func created() ordering.OrderEvent {
	return &ordering.OrderCreated{CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total}
}

// item is a line of "Nic & Naks" (the limits' cases).
func item(id string, price int64, q int32) ordering.OrderItem {
	return ordering.OrderItem{ProductID: id, StoreID: "store-1", StoreName: "Nic & Naks", ProductName: id, PriceCents: price, Quantity: q}
}

func createOf(total int64, items ...ordering.OrderItem) *ordering.CreateOrder {
	return &ordering.CreateOrder{CustomerID: "cust-1", PaymentID: "pay-1", Items: items, TotalCents: total}
}

// many is n different products at 0.01, one of each.
func many(n int) []ordering.OrderItem {
	var out []ordering.OrderItem
	for i := range n {
		out = append(out, item(fmt.Sprintf("p%03d", i), 1, 1))
	}
	return out
}

const (
	maxPrice   = 100_000_000   // 1,000,000.00
	maxTotal   = 1_000_000_000 // 10,000,000.00
	issuePrice = 4_611_686_018_427_387_903
)

func approved() ordering.OrderEvent { return &ordering.OrderApproved{ShoppingListID: "list-1"} }

func TestOrderRules(t *testing.T) {
	pending := []ordering.OrderEvent{created()}
	approvedOrder := []ordering.OrderEvent{created(), approved()}
	ready := []ordering.OrderEvent{created(), approved(), &ordering.OrderReadied{PaymentID: "pay-1", TotalCents: total}}
	completed := append(append([]ordering.OrderEvent(nil), ready...), &ordering.OrderCompleted{InvoiceID: "inv-1"})
	rejected := []ordering.OrderEvent{created(), &ordering.OrderRejected{Reason: "customer is not authorized"}}
	canceled := []ordering.OrderEvent{created(), &ordering.OrderCanceled{}}

	aggregatetest.Run(t, OrderRules, []orderSpec{
		// CreateOrder
		{Name: "creating the order of a checked-out basket",
			When: create(), Then: []ordering.OrderEvent{created()}},
		{Name: "creating an order twice fails",
			Given: pending, When: create(), Err: ErrOrderCannotRecreate},
		{Name: "creating an order without items fails",
			When: &ordering.CreateOrder{CustomerID: "cust-1", PaymentID: "pay-1"}, Err: ErrOrderHasNoItems},
		{Name: "creating an order without a customer fails",
			When: &ordering.CreateOrder{CustomerID: " ", PaymentID: "pay-1", Items: lines, TotalCents: total}, Err: ErrCustomerIDBlank},
		{Name: "creating an order without a payment fails",
			When: &ordering.CreateOrder{CustomerID: "cust-1", Items: lines, TotalCents: total}, Err: ErrPaymentIDBlank},
		{Name: "creating an order whose total is not the sum of its lines fails",
			When: &ordering.CreateOrder{CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total - 1}, Err: ErrOrderTotalMismatch},
		{Name: "creating an order with a negative total fails",
			When: createOf(-total, lines...), Err: ErrOrderTotalMismatch},

		// CreateOrder re-checks the limits (docs/adr/0014)
		{Name: "an order at the limits, 100 products, 1,000 of one, a total of 10,000,000.00, is created",
			When: createOf(maxTotal, append(many(97), item("crown", maxPrice, 9), item("big", 99_999_000-97, 1), item("penny", 1, 1000))...),
			Then: []ordering.OrderEvent{&ordering.OrderCreated{CustomerID: "cust-1", PaymentID: "pay-1", TotalCents: maxTotal,
				Items: append(many(97), item("crown", maxPrice, 9), item("big", 99_999_000-97, 1), item("penny", 1, 1000))}}},
		{Name: "an order of 101 products fails",
			When: createOf(101, many(101)...), Err: ErrOrderHasTooManyProducts},
		{Name: "an order line of no units fails",
			When: createOf(999, item("wizard", 999, 1), item("dragon", 500, 0)), Err: ErrOrderItemQuantityNotPositive},
		{Name: "an order line of a negative quantity fails",
			When: createOf(999-500, item("wizard", 999, 1), item("dragon", 500, -1)), Err: ErrOrderItemQuantityNotPositive},
		{Name: "an order line of 1,001 units fails",
			When: createOf(1001*999, item("wizard", 999, 1001)), Err: ErrItemQuantityTooLarge},
		{Name: "an order line priced below zero fails",
			When: createOf(999-1, item("wizard", 999, 1), item("minus", -1, 1)), Err: ErrProductPriceNegative},
		{Name: "an order line priced above 1,000,000.00 fails",
			When: createOf(maxPrice+1, item("crown", maxPrice+1, 1)), Err: ErrProductPriceTooLarge},
		{Name: "an order whose lines add up past 10,000,000.00 fails",
			When: createOf(maxTotal+1, item("crown", maxPrice, 10), item("penny", 1, 1)), Err: ErrOrderTotalTooLarge},
		{Name: "the wrapped order of issue 20 fails",
			When: createOf(-4_611_686_020_574_871_551, item("issue-20", issuePrice, math.MaxInt32)), Err: ErrItemQuantityTooLarge},
		{Name: "an order whose lines add up past 10,000,000.00 fails even when its total claims less",
			When: createOf(1, item("crown", maxPrice, 1000)), Err: ErrOrderTotalTooLarge},

		// ApproveOrder
		{Name: "approving a pending order remembers its shopping list",
			Given: pending, When: &ordering.ApproveOrder{ShoppingListID: "list-1"}, Then: []ordering.OrderEvent{approved()}},
		{Name: "approving an approved order fails",
			Given: approvedOrder, When: &ordering.ApproveOrder{ShoppingListID: "list-1"}, Err: ErrOrderCannotApprove},
		{Name: "approving a rejected order fails",
			Given: rejected, When: &ordering.ApproveOrder{ShoppingListID: "list-1"}, Err: ErrOrderCannotApprove},
		{Name: "approving a canceled order fails",
			Given: canceled, When: &ordering.ApproveOrder{ShoppingListID: "list-1"}, Err: ErrOrderCannotApprove},

		// RejectOrder
		{Name: "rejecting a pending order keeps the reason",
			Given: pending, When: &ordering.RejectOrder{Reason: "payment cannot be confirmed"},
			Then: []ordering.OrderEvent{&ordering.OrderRejected{Reason: "payment cannot be confirmed"}}},
		{Name: "rejecting an approved order fails",
			Given: approvedOrder, When: &ordering.RejectOrder{Reason: "late"}, Err: ErrOrderCannotReject},
		{Name: "rejecting a rejected order fails",
			Given: rejected, When: &ordering.RejectOrder{Reason: "again"}, Err: ErrOrderCannotReject},
		{Name: "rejecting a canceled order fails",
			Given: canceled, When: &ordering.RejectOrder{Reason: "late"}, Err: ErrOrderCannotReject},

		// CancelOrder
		{Name: "canceling a pending order",
			Given: pending, When: &ordering.CancelOrder{}, Then: []ordering.OrderEvent{&ordering.OrderCanceled{}}},
		{Name: "canceling an approved order names its shopping list for the cancel policy",
			Given: approvedOrder, When: &ordering.CancelOrder{},
			Then: []ordering.OrderEvent{&ordering.OrderCanceled{ShoppingListID: "list-1"}}},
		{Name: "canceling a ready order fails",
			Given: ready, When: &ordering.CancelOrder{}, Err: ErrOrderCannotCancel},
		{Name: "canceling a completed order fails",
			Given: completed, When: &ordering.CancelOrder{}, Err: ErrOrderCannotCancel},
		{Name: "canceling a rejected order fails",
			Given: rejected, When: &ordering.CancelOrder{}, Err: ErrOrderCannotCancel},
		{Name: "canceling a canceled order fails",
			Given: canceled, When: &ordering.CancelOrder{}, Err: ErrOrderCannotCancel},

		// ReadyOrder
		{Name: "readying an approved order carries its payment and total",
			Given: approvedOrder, When: &ordering.ReadyOrder{},
			Then: []ordering.OrderEvent{&ordering.OrderReadied{PaymentID: "pay-1", TotalCents: total}}},
		{Name: "readying a pending order fails",
			Given: pending, When: &ordering.ReadyOrder{}, Err: ErrOrderCannotReady},
		{Name: "readying a ready order fails",
			Given: ready, When: &ordering.ReadyOrder{}, Err: ErrOrderCannotReady},
		{Name: "readying a canceled order fails",
			Given: canceled, When: &ordering.ReadyOrder{}, Err: ErrOrderCannotReady},

		// CompleteOrder
		{Name: "completing a ready order remembers its invoice",
			Given: ready, When: &ordering.CompleteOrder{InvoiceID: "inv-1"},
			Then: []ordering.OrderEvent{&ordering.OrderCompleted{InvoiceID: "inv-1"}}},
		{Name: "completing an approved order fails",
			Given: approvedOrder, When: &ordering.CompleteOrder{InvoiceID: "inv-1"}, Err: ErrOrderCannotComplete},
		{Name: "completing a completed order fails",
			Given: completed, When: &ordering.CompleteOrder{InvoiceID: "inv-1"}, Err: ErrOrderCannotComplete},
		{Name: "completing a canceled order fails",
			Given: canceled, When: &ordering.CompleteOrder{InvoiceID: "inv-1"}, Err: ErrOrderCannotComplete},

		// Unknown orders
		{Name: "approving an unknown order fails", When: &ordering.ApproveOrder{ShoppingListID: "l"}, Err: ErrOrderNotFound},
		{Name: "rejecting an unknown order fails", When: &ordering.RejectOrder{Reason: "r"}, Err: ErrOrderNotFound},
		{Name: "canceling an unknown order fails", When: &ordering.CancelOrder{}, Err: ErrOrderNotFound},
		{Name: "readying an unknown order fails", When: &ordering.ReadyOrder{}, Err: ErrOrderNotFound},
		{Name: "completing an unknown order fails", When: &ordering.CompleteOrder{InvoiceID: "i"}, Err: ErrOrderNotFound},
	})
}

func TestTheRejectionTextsAreDomainMds(t *testing.T) {
	for err, want := range map[*aggregate.Rejection]string{
		ErrOrderCannotRecreate: "the order cannot be recreated",
		ErrOrderHasNoItems:     "the order has no items",
		ErrCustomerIDBlank:     "the customer id cannot be blank",
		ErrPaymentIDBlank:      "the payment id cannot be blank",
		ErrOrderCannotApprove:  "the order cannot be approved",
		ErrOrderCannotReject:   "the order cannot be rejected",
		ErrOrderCannotCancel:   "the order cannot be cancelled",
		ErrOrderCannotReady:    "the order cannot be readied",
		ErrOrderCannotComplete: "the order cannot be completed",
	} {
		if err.Message != want || err.Kind != aggregate.Invalid {
			t.Errorf("%s says %q (%s), domain.md says %q (400)", err.Code, err.Message, err.Kind, want)
		}
	}
	// The limits of docs/adr/0014 (docs/domain.md, "Limits on money and quantities").
	for err, want := range map[*aggregate.Rejection]string{
		ErrOrderTotalMismatch:           "the order total does not match its items",
		ErrOrderHasTooManyProducts:      "the order cannot hold more than 100 different products",
		ErrOrderItemQuantityNotPositive: "the order item quantity must be positive",
		ErrItemQuantityTooLarge:         "the item quantity cannot exceed 1,000",
		ErrProductPriceNegative:         "the product price cannot be negative",
		ErrProductPriceTooLarge:         "the product price cannot exceed 1,000,000.00",
		ErrOrderTotalTooLarge:           "the order total cannot exceed 10,000,000.00",
	} {
		if err.Message != want || err.Kind != aggregate.Invalid {
			t.Errorf("%s says %q (%s), want %q (400)", err.Code, err.Message, err.Kind, want)
		}
	}
	if ErrOrderNotFound.Kind != aggregate.NotFound {
		t.Errorf("an unknown order is %s, want not_found (404)", ErrOrderNotFound.Kind)
	}
}

// The order's state through its whole life, and both dead ends.
func TestOrderState(t *testing.T) {
	apply := func(evs ...ordering.OrderEvent) ordering.Order {
		t.Helper()
		var o ordering.Order
		for _, ev := range evs {
			ev.EventMetadata().AggregateID = "basket-1"
			var err error
			if o, err = evolveOrder(o, ev); err != nil {
				t.Fatal(err)
			}
		}
		return o
	}
	o := apply(created())
	if o.ID != "basket-1" || o.Status != StatusPending || o.TotalCents != total || len(o.Items) != 2 || Units(o.Items) != 11 {
		t.Fatalf("created: %+v", o)
	}
	o = apply(created(), approved(), &ordering.OrderReadied{PaymentID: "pay-1", TotalCents: total}, &ordering.OrderCompleted{InvoiceID: "inv-1"})
	if o.Status != StatusCompleted || o.ShoppingListID != "list-1" || o.InvoiceID != "inv-1" {
		t.Fatalf("completed: %+v", o)
	}
	if o = apply(created(), approved(), &ordering.OrderReadied{}); o.Status != StatusReady {
		t.Fatalf("readied: %+v", o)
	}
	if o = apply(created(), &ordering.OrderRejected{Reason: "customer is not authorized"}); o.Status != StatusRejected || o.RejectionReason != "customer is not authorized" {
		t.Fatalf("rejected: %+v", o)
	}
	if o = apply(created(), approved(), &ordering.OrderCanceled{ShoppingListID: "list-1"}); o.Status != StatusCanceled {
		t.Fatalf("canceled: %+v", o)
	}
}

func TestSumIsExactOrRefuses(t *testing.T) {
	if got, ok := Sum(lines); !ok || got != total {
		t.Errorf("Sum = %d, %v, want %d", got, ok, total)
	}
	if got, ok := Sum([]ordering.OrderItem{item("issue-20", issuePrice, math.MaxInt32)}); ok {
		t.Errorf("Sum of issue 20's line = %d, want refused", got)
	}
	if got, ok := Sum([]ordering.OrderItem{item("a", math.MaxInt64, 1), item("b", 1, 1)}); ok {
		t.Errorf("Sum past int64 = %d, want refused", got)
	}
}

func TestOrderEvolveRejectsUnknownEvents(t *testing.T) {
	if _, err := evolveOrder(ordering.Order{}, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
