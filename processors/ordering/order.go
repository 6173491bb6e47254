// Package ordering runs the ordering context: the Order aggregate, whose id
// is the id of the basket it was checked out from. order.go holds the pure
// rules (decide/evolve, no I/O); processor.go builds the goka group on
// processors/engine. Orders are created by the policy on BasketCheckedOut,
// moved on by the create-order saga and the policies on
// ShoppingListCompleted and InvoicePaid, and canceled by the customer.
package ordering

import (
	"fmt"
	"slices"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/topics"
)

// The order's statuses: pending → approved → ready → completed, or
// rejected / canceled. Lower case, American spelling (docs/domain.md).
const (
	StatusPending   = "pending"
	StatusApproved  = "approved"
	StatusReady     = "ready"
	StatusCompleted = "completed"
	StatusRejected  = "rejected"
	StatusCanceled  = "canceled"
)

// Order rejections, with the exact texts of docs/domain.md.
var (
	ErrOrderCannotRecreate = aggregate.CannotBe("order", "recreated")
	ErrOrderHasNoItems     = aggregate.Reject(aggregate.Invalid, "order_has_no_items", "the order has no items")
	ErrCustomerIDBlank     = aggregate.ErrCustomerIDBlank
	ErrPaymentIDBlank      = aggregate.ErrPaymentIDBlank
	ErrOrderCannotApprove  = aggregate.CannotBe("order", "approved")
	ErrOrderCannotReject   = aggregate.CannotBe("order", "rejected")
	ErrOrderCannotCancel   = aggregate.Reject(aggregate.Invalid, "order_cannot_be_canceled", "the order cannot be cancelled")
	ErrOrderCannotReady    = aggregate.CannotBe("order", "readied")
	ErrOrderCannotComplete = aggregate.CannotBe("order", "completed")
	// ErrOrderNotFound answers any command but CreateOrder on an unknown
	// order (the original spec left the text open; this one follows the
	// other aggregates' "the … does not exist", as docs/domain.md says).
	ErrOrderNotFound = aggregate.DoesNotExist("order")
	// ErrOrderTotalMismatch refuses a CreateOrder whose totalCents is not
	// the sum of its lines (docs/domain.md, Order; the saga confirms the
	// payment against this total, so a wrong one must not pass silently).
	ErrOrderTotalMismatch = aggregate.Reject(aggregate.Invalid, "order_total_mismatch", "the order total does not match its items")
	// The limits of docs/adr/0014, re-checked on CreateOrder: the basket
	// checks them too, but any Kafka client can produce a CreateOrder, and
	// the saga confirms the payment for this order's total.
	ErrOrderHasTooManyProducts = aggregate.Reject(aggregate.Invalid, "order_has_too_many_products",
		"the order cannot hold more than "+limits.Count(limits.MaxLines)+" different products")
	ErrOrderItemQuantityNotPositive = aggregate.MustBePositive("order item quantity")
	ErrItemQuantityTooLarge         = limits.ErrItemQuantityTooLarge
	ErrProductPriceNegative         = limits.ErrPriceNegative
	ErrProductPriceTooLarge         = limits.ErrPriceTooLarge
	ErrOrderTotalTooLarge           = aggregate.CannotExceed("order total", limits.Amount(limits.MaxTotalCents))
)

// OrderRules are the Order aggregate's rules.
var OrderRules = aggregate.Rules[ordering.Order, ordering.OrderCommand, ordering.OrderEvent]{
	Type:   topics.Orders.Type,
	Decide: aggregate.Lifecycle(ErrOrderCannotRecreate, ErrOrderNotFound, createOrder, changeOrder),
	Evolve: evolveOrder,
}

func changeOrder(o *ordering.Order, cmd ordering.OrderCommand, _ aggregate.Facts) ([]ordering.OrderEvent, error) {
	switch c := cmd.(type) {
	case *ordering.ApproveOrder:
		return aggregate.Emit[ordering.OrderEvent](&ordering.OrderApproved{ShoppingListID: c.ShoppingListID},
			aggregate.When(o.Status != StatusPending, ErrOrderCannotApprove))
	case *ordering.RejectOrder:
		return aggregate.Emit[ordering.OrderEvent](&ordering.OrderRejected{Reason: c.Reason},
			aggregate.When(o.Status != StatusPending, ErrOrderCannotReject))
	case *ordering.CancelOrder:
		// The cancel policy cancels what the event names.
		return aggregate.Emit[ordering.OrderEvent](&ordering.OrderCanceled{ShoppingListID: o.ShoppingListID, InvoiceID: o.InvoiceID},
			aggregate.When(o.Status != StatusPending && o.Status != StatusApproved, ErrOrderCannotCancel))
	case *ordering.ReadyOrder:
		return aggregate.Emit[ordering.OrderEvent](&ordering.OrderReadied{PaymentID: o.PaymentID, TotalCents: o.TotalCents},
			aggregate.When(o.Status != StatusApproved, ErrOrderCannotReady))
	case *ordering.CompleteOrder:
		return aggregate.Emit[ordering.OrderEvent](&ordering.OrderCompleted{InvoiceID: c.InvoiceID},
			aggregate.When(o.Status != StatusReady, ErrOrderCannotComplete))
	}
	return nil, fmt.Errorf("the order aggregate does not handle %T", cmd)
}

func createOrder(c *ordering.CreateOrder, _ aggregate.Facts) ([]ordering.OrderEvent, error) {
	if err := aggregate.Refuse(
		aggregate.When(len(c.Items) == 0, ErrOrderHasNoItems),
		aggregate.When(aggregate.Blank(c.CustomerID), ErrCustomerIDBlank),
		aggregate.When(aggregate.Blank(c.PaymentID), ErrPaymentIDBlank),
	); err != nil {
		return nil, err
	}
	if err := checkItems(c.Items); err != nil {
		return nil, err
	}
	sum, ok := Sum(c.Items)
	created := &ordering.OrderCreated{CustomerID: c.CustomerID, PaymentID: c.PaymentID, Items: c.Items, TotalCents: c.TotalCents}
	return aggregate.Emit[ordering.OrderEvent](created,
		aggregate.When(!ok || sum > limits.MaxTotalCents, ErrOrderTotalTooLarge),
		aggregate.When(c.TotalCents != sum, ErrOrderTotalMismatch)) // a negative total too: the lines' sum is not
}

// checkItems refuses lines past the limits: too many, a quantity below one
// or above limits.MaxLineQuantity, a price outside the product's limits.
func checkItems(items []ordering.OrderItem) error {
	if len(items) > limits.MaxLines {
		return ErrOrderHasTooManyProducts
	}
	for _, it := range items {
		switch {
		case it.Quantity < 1:
			return ErrOrderItemQuantityNotPositive
		case it.Quantity > limits.MaxLineQuantity:
			return ErrItemQuantityTooLarge
		}
		if err := limits.CheckPrice(it.PriceCents); err != nil {
			return err
		}
	}
	return nil
}

// Sum is the sum of price × quantity over the lines, in cents, and false
// when a line or the sum leaves int64.
func Sum(items []ordering.OrderItem) (int64, bool) {
	return limits.Sum(items, func(it ordering.OrderItem) (int64, int32) { return it.PriceCents, it.Quantity })
}

// Units is the number of units over the lines (the sum of quantities).
func Units(items []ordering.OrderItem) int64 {
	return limits.Units(slices.Values(items), func(it ordering.OrderItem) int32 { return it.Quantity })
}

func evolveOrder(o ordering.Order, ev ordering.OrderEvent) (ordering.Order, error) {
	switch e := ev.(type) {
	case *ordering.OrderCreated:
		return ordering.Order{
			ID: e.AggregateID, CustomerID: e.CustomerID, PaymentID: e.PaymentID,
			Items: append([]ordering.OrderItem(nil), e.Items...), TotalCents: e.TotalCents, Status: StatusPending,
			CreatedAt: e.OccurredAt,
		}, nil
	case *ordering.OrderApproved:
		o.Status, o.ShoppingListID = StatusApproved, e.ShoppingListID
	case *ordering.OrderRejected:
		o.Status, o.RejectionReason = StatusRejected, e.Reason
	case *ordering.OrderCanceled:
		o.Status = StatusCanceled
	case *ordering.OrderReadied:
		o.Status = StatusReady
	case *ordering.OrderCompleted:
		o.Status, o.InvoiceID = StatusCompleted, e.InvoiceID
	default:
		return o, fmt.Errorf("the order aggregate cannot apply %T", ev)
	}
	return o, nil
}
