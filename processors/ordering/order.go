// Package ordering runs the ordering context: the Order aggregate, whose id
// is the id of the basket it was checked out from. order.go holds the pure
// rules (decide/evolve, no I/O); processor.go builds the goka group on
// processors/engine. Orders are created by the policy on BasketCheckedOut,
// moved on by the create-order saga and the policies on
// ShoppingListCompleted and InvoicePaid, and canceled by the customer.
package ordering

import (
	"fmt"
	"strings"

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
	ErrOrderCannotRecreate = aggregate.Reject(aggregate.Invalid, "order_cannot_be_recreated", "the order cannot be recreated")
	ErrOrderHasNoItems     = aggregate.Reject(aggregate.Invalid, "order_has_no_items", "the order has no items")
	ErrCustomerIDBlank     = aggregate.Reject(aggregate.Invalid, "customer_id_blank", "the customer id cannot be blank")
	ErrPaymentIDBlank      = aggregate.Reject(aggregate.Invalid, "payment_id_blank", "the payment id cannot be blank")
	ErrOrderCannotApprove  = aggregate.Reject(aggregate.Invalid, "order_cannot_be_approved", "the order cannot be approved")
	ErrOrderCannotReject   = aggregate.Reject(aggregate.Invalid, "order_cannot_be_rejected", "the order cannot be rejected")
	ErrOrderCannotCancel   = aggregate.Reject(aggregate.Invalid, "order_cannot_be_canceled", "the order cannot be cancelled")
	ErrOrderCannotReady    = aggregate.Reject(aggregate.Invalid, "order_cannot_be_readied", "the order cannot be readied")
	ErrOrderCannotComplete = aggregate.Reject(aggregate.Invalid, "order_cannot_be_completed", "the order cannot be completed")
	// ErrOrderNotFound answers any command but CreateOrder on an unknown
	// order (the original spec left the text open; this one follows the
	// other aggregates' "the … does not exist", as docs/domain.md says).
	ErrOrderNotFound = aggregate.Reject(aggregate.NotFound, "order_not_found", "the order does not exist")
	// ErrOrderTotalMismatch refuses a CreateOrder whose totalCents is not
	// the sum of its lines (docs/domain.md, Order; the saga confirms the
	// payment against this total, so a wrong one must not pass silently).
	ErrOrderTotalMismatch = aggregate.Reject(aggregate.Invalid, "order_total_mismatch", "the order total does not match its items")
	// The limits of docs/adr/0014, re-checked on CreateOrder: the basket
	// checks them too, but any Kafka client can produce a CreateOrder, and
	// the saga confirms the payment for this order's total.
	ErrOrderHasTooManyProducts = aggregate.Reject(aggregate.Invalid, "order_has_too_many_products",
		"the order cannot hold more than "+limits.Count(limits.MaxLines)+" different products")
	ErrOrderItemQuantityNotPositive = aggregate.Reject(aggregate.Invalid, "order_item_quantity_not_positive", "the order item quantity must be positive")
	ErrItemQuantityTooLarge         = limits.ErrItemQuantityTooLarge
	ErrProductPriceNegative         = limits.ErrPriceNegative
	ErrProductPriceTooLarge         = limits.ErrPriceTooLarge
	ErrOrderTotalTooLarge           = aggregate.Reject(aggregate.Invalid, "order_total_too_large",
		"the order total cannot exceed "+limits.Amount(limits.MaxTotalCents))
)

// OrderRules are the Order aggregate's rules.
var OrderRules = aggregate.Rules[ordering.Order, ordering.OrderCommand, ordering.OrderEvent]{
	Type:   topics.Orders.Type,
	Decide: decideOrder,
	Evolve: evolveOrder,
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func decideOrder(o *ordering.Order, cmd ordering.OrderCommand, _ aggregate.Facts) ([]ordering.OrderEvent, error) {
	if c, ok := cmd.(*ordering.CreateOrder); ok {
		return createOrder(o, c)
	}
	if o == nil {
		return nil, ErrOrderNotFound
	}
	switch c := cmd.(type) {
	case *ordering.ApproveOrder:
		if o.Status != StatusPending {
			return nil, ErrOrderCannotApprove
		}
		return one[ordering.OrderEvent](&ordering.OrderApproved{ShoppingListID: c.ShoppingListID}), nil
	case *ordering.RejectOrder:
		if o.Status != StatusPending {
			return nil, ErrOrderCannotReject
		}
		return one[ordering.OrderEvent](&ordering.OrderRejected{Reason: c.Reason}), nil
	case *ordering.CancelOrder:
		if o.Status != StatusPending && o.Status != StatusApproved {
			return nil, ErrOrderCannotCancel
		}
		// The cancel policy cancels what the event names.
		return one[ordering.OrderEvent](&ordering.OrderCanceled{ShoppingListID: o.ShoppingListID, InvoiceID: o.InvoiceID}), nil
	case *ordering.ReadyOrder:
		if o.Status != StatusApproved {
			return nil, ErrOrderCannotReady
		}
		return one[ordering.OrderEvent](&ordering.OrderReadied{PaymentID: o.PaymentID, TotalCents: o.TotalCents}), nil
	case *ordering.CompleteOrder:
		if o.Status != StatusReady {
			return nil, ErrOrderCannotComplete
		}
		return one[ordering.OrderEvent](&ordering.OrderCompleted{InvoiceID: c.InvoiceID}), nil
	}
	return nil, fmt.Errorf("the order aggregate does not handle %T", cmd)
}

func createOrder(o *ordering.Order, c *ordering.CreateOrder) ([]ordering.OrderEvent, error) {
	switch {
	case o != nil:
		return nil, ErrOrderCannotRecreate
	case len(c.Items) == 0:
		return nil, ErrOrderHasNoItems
	case blank(c.CustomerID):
		return nil, ErrCustomerIDBlank
	case blank(c.PaymentID):
		return nil, ErrPaymentIDBlank
	}
	if err := checkItems(c.Items); err != nil {
		return nil, err
	}
	sum, ok := Sum(c.Items)
	switch {
	case !ok || sum > limits.MaxTotalCents:
		return nil, ErrOrderTotalTooLarge
	case c.TotalCents != sum:
		return nil, ErrOrderTotalMismatch // a negative total too: the lines' sum is not
	}
	return one[ordering.OrderEvent](&ordering.OrderCreated{
		CustomerID: c.CustomerID, PaymentID: c.PaymentID, Items: c.Items, TotalCents: c.TotalCents,
	}), nil
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
	var n int64
	for _, it := range items {
		n += int64(it.Quantity)
	}
	return n
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

func one[E any](e E) []E { return []E{e} }
