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
	ErrInvoiceExists       = aggregate.AlreadyExists("invoice")
	ErrInvoiceNotFound     = aggregate.DoesNotExist("invoice")
	ErrInvoiceCannotBePaid = aggregate.Reject(aggregate.Invalid, "invoice_cannot_be_paid", "invoice cannot be paid for")
	ErrInvoiceCannotCancel = aggregate.Reject(aggregate.Invalid, "invoice_cannot_be_canceled", "invoice cannot be canceled")
	// ErrInvoiceOrderMismatch refuses a CreateInvoice whose orderId is not
	// its aggregate id: an invoice's id is its order's id.
	ErrInvoiceOrderMismatch = aggregate.Reject(aggregate.Invalid, "invoice_order_mismatch", "the invoice id must be its order id")
	// An invoice asks for its order's total, which the order aggregate
	// kept within 0 … limits.MaxTotalCents; the invoice re-checks it
	// (docs/adr/0014; docs/domain.md, limits).
	ErrInvoiceAmountNotPositive = aggregate.MustBePositive("invoice amount")
	ErrInvoiceAmountTooLarge    = aggregate.CannotExceed("invoice amount", limits.Amount(limits.MaxTotalCents))
)

// InvoiceRules are the Invoice aggregate's rules: created pending (by the
// policy on OrderReadied), then paid (at pickup) or canceled (by the
// policy on OrderCanceled), never both.
var InvoiceRules = aggregate.Rules[payments.Invoice, payments.InvoiceCommand, payments.InvoiceEvent]{
	Type:   "invoice",
	Decide: aggregate.Lifecycle(ErrInvoiceExists, ErrInvoiceNotFound, createInvoice, changeInvoice),
	Evolve: evolveInvoice,
}

func createInvoice(c *payments.CreateInvoice, _ aggregate.Facts) ([]payments.InvoiceEvent, error) {
	orderID := c.OrderID
	if aggregate.Blank(orderID) {
		orderID = c.AggregateID
	}
	return aggregate.Emit[payments.InvoiceEvent](&payments.InvoiceCreated{OrderID: orderID, PaymentID: c.PaymentID, AmountCents: c.AmountCents},
		aggregate.When(orderID != c.AggregateID, ErrInvoiceOrderMismatch),
		aggregate.When(c.AmountCents <= 0, ErrInvoiceAmountNotPositive),
		aggregate.When(c.AmountCents > limits.MaxTotalCents, ErrInvoiceAmountTooLarge))
}

func changeInvoice(inv *payments.Invoice, cmd payments.InvoiceCommand, _ aggregate.Facts) ([]payments.InvoiceEvent, error) {
	pending := inv.Status == InvoicePending
	switch cmd.(type) {
	case *payments.PayInvoice:
		return aggregate.Emit[payments.InvoiceEvent](&payments.InvoicePaid{OrderID: inv.OrderID, AmountCents: inv.AmountCents}, aggregate.When(!pending, ErrInvoiceCannotBePaid))
	case *payments.CancelInvoice:
		return aggregate.Emit[payments.InvoiceEvent](&payments.InvoiceCanceled{OrderID: inv.OrderID}, aggregate.When(!pending, ErrInvoiceCannotCancel))
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
