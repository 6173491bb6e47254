package payments

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/schemas/payments"
)

// The invoice statuses, as in events, state, API and ClickHouse.
const (
	InvoicePending  = "pending"
	InvoicePaid     = "paid"
	InvoiceCanceled = "canceled"
)

// Invoice rejections, with the exact texts of docs/domain.md. The original
// spec named no text for an unknown invoice; it answers like every other
// aggregate.
var (
	ErrInvoiceExists       = aggregate.Reject(aggregate.Invalid, "invoice_exists", "the invoice already exists")
	ErrInvoiceNotFound     = aggregate.Reject(aggregate.NotFound, "invoice_not_found", "the invoice does not exist")
	ErrInvoiceCannotBePaid = aggregate.Reject(aggregate.Invalid, "invoice_cannot_be_paid", "invoice cannot be paid for")
	ErrInvoiceCannotCancel = aggregate.Reject(aggregate.Invalid, "invoice_cannot_be_canceled", "invoice cannot be canceled")
	// ErrInvoiceOrderMismatch refuses a CreateInvoice whose orderId is not
	// its aggregate id: an invoice's id is its order's id.
	ErrInvoiceOrderMismatch = aggregate.Reject(aggregate.Invalid, "invoice_order_mismatch", "the invoice id must be its order id")
	// An invoice asks for its order's total, which the order aggregate
	// kept within 0 … limits.MaxTotalCents; the invoice re-checks it
	// (docs/adr/0014; docs/domain.md, limits).
	ErrInvoiceAmountNotPositive = aggregate.Reject(aggregate.Invalid, "invoice_amount_not_positive", "the invoice amount must be positive")
	ErrInvoiceAmountTooLarge    = aggregate.Reject(aggregate.Invalid, "invoice_amount_too_large",
		"the invoice amount cannot exceed "+limits.Amount(limits.MaxTotalCents))
)

// InvoiceRules are the Invoice aggregate's rules: created pending (by the
// policy on OrderReadied), then paid (at pickup) or canceled (by the
// policy on OrderCanceled), never both.
var InvoiceRules = aggregate.Rules[payments.Invoice, payments.InvoiceCommand, payments.InvoiceEvent]{
	Type:   "invoice",
	Decide: decideInvoice,
	Evolve: evolveInvoice,
}

func decideInvoice(inv *payments.Invoice, cmd payments.InvoiceCommand, _ aggregate.Facts) ([]payments.InvoiceEvent, error) {
	if c, ok := cmd.(*payments.CreateInvoice); ok {
		orderID := c.OrderID
		if blank(orderID) {
			orderID = c.AggregateID
		}
		switch {
		case inv != nil:
			return nil, ErrInvoiceExists
		case orderID != c.AggregateID:
			return nil, ErrInvoiceOrderMismatch
		case c.AmountCents <= 0:
			return nil, ErrInvoiceAmountNotPositive
		case c.AmountCents > limits.MaxTotalCents:
			return nil, ErrInvoiceAmountTooLarge
		}
		return one[payments.InvoiceEvent](&payments.InvoiceCreated{OrderID: orderID, PaymentID: c.PaymentID, AmountCents: c.AmountCents}), nil
	}
	if inv == nil {
		return nil, ErrInvoiceNotFound
	}
	switch cmd.(type) {
	case *payments.PayInvoice:
		if inv.Status != InvoicePending {
			return nil, ErrInvoiceCannotBePaid
		}
		return one[payments.InvoiceEvent](&payments.InvoicePaid{OrderID: inv.OrderID, AmountCents: inv.AmountCents}), nil
	case *payments.CancelInvoice:
		if inv.Status != InvoicePending {
			return nil, ErrInvoiceCannotCancel
		}
		return one[payments.InvoiceEvent](&payments.InvoiceCanceled{OrderID: inv.OrderID}), nil
	}
	return nil, fmt.Errorf("the invoice aggregate does not handle %T", cmd)
}

func evolveInvoice(inv payments.Invoice, ev payments.InvoiceEvent) (payments.Invoice, error) {
	switch e := ev.(type) {
	case *payments.InvoiceCreated:
		return payments.Invoice{ID: e.AggregateID, OrderID: e.OrderID, PaymentID: e.PaymentID, AmountCents: e.AmountCents, Status: InvoicePending}, nil
	case *payments.InvoicePaid:
		inv.Status = InvoicePaid
	case *payments.InvoiceCanceled:
		inv.Status = InvoiceCanceled
	default:
		return inv, fmt.Errorf("the invoice aggregate cannot apply %T", ev)
	}
	return inv, nil
}
