// Package payments runs the payments context: the Payment and Invoice
// aggregates. payment.go and invoice.go are the pure rules (decide/evolve,
// no I/O); processor.go builds their goka groups on processors/engine.
//
// Consumes mallbots.payments.commands (AuthorizePayment from the API,
// ConfirmPayment from the create-order saga with a reply-to) and
// mallbots.invoices.commands (CreateInvoice and CancelInvoice from the
// policies, PayInvoice from the API); produces their events, snapshots in
// their tables, results, saga replies and dead letters. The payment group
// looks up the customers table (event-carried state) to check that an
// authorization's customer exists.
package payments

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/topics"
)

// Payment rejections. The texts of docs/domain.md are exact; where the
// original spec was silent (an id used twice, a missing customer) the texts
// follow the other aggregates'. ConfirmPayment refuses every way with the domain's one text,
// "payment cannot be confirmed", told apart by code and kind.
var (
	ErrPaymentAmountNotPositive = aggregate.MustBePositive("payment amount")
	ErrPaymentExists            = aggregate.AlreadyExists("payment")
	ErrCustomerIDBlank          = aggregate.ErrCustomerIDBlank
	// ErrCustomerNotFound is the customers context's text and code: an
	// authorization needs a registered customer.
	ErrCustomerNotFound = aggregate.ErrCustomerNotFound
	// ErrPaymentNotFound answers every command but AuthorizePayment on an
	// unknown payment (today only ConfirmPayment exists).
	ErrPaymentNotFound = aggregate.Reject(aggregate.NotFound, "payment_not_found", "payment cannot be confirmed")
	// ErrPaymentAmountExceeded refuses an order total above the amount
	// authorized.
	ErrPaymentAmountExceeded = aggregate.Reject(aggregate.Invalid, "payment_amount_exceeded", "payment cannot be confirmed")
	// ErrPaymentUsedByAnotherOrder refuses to confirm a payment already
	// confirmed for another order: one authorization pays one order.
	ErrPaymentUsedByAnotherOrder = aggregate.Reject(aggregate.Invalid, "payment_confirmed_for_another_order", "payment cannot be confirmed")
	// ErrPaymentOrderBlank refuses a confirmation that names no order.
	ErrPaymentOrderBlank = aggregate.Reject(aggregate.Invalid, "payment_order_id_blank", "payment cannot be confirmed")
	// ErrPaymentAmountTooLarge refuses an authorization above the largest
	// order total, limits.MaxTotalCents (docs/adr/0014): no order could use
	// more.
	ErrPaymentAmountTooLarge = aggregate.CannotExceed("payment amount", limits.Amount(limits.MaxTotalCents))
	// ErrPaymentConfirmationNotPositive refuses to confirm an order total of
	// zero or less: the authorization must cover 0 < amount (issue 20: a
	// wrapped, negative total passed "not above the authorization").
	ErrPaymentConfirmationNotPositive = aggregate.Reject(aggregate.Invalid, "payment_confirmation_amount_not_positive", "payment cannot be confirmed")
	// ErrPaymentConfirmationTooLarge refuses to confirm an order total above
	// limits.MaxTotalCents, even within an authorization made before the
	// limit.
	ErrPaymentConfirmationTooLarge = aggregate.Reject(aggregate.Invalid, "payment_confirmation_amount_too_large", "payment cannot be confirmed")
)

// PaymentRules are the Payment aggregate's rules.
//
// AuthorizePayment needs a registered customer: it looks the customer up
// in the customers table (disabled customers may still authorize; whether
// they may order is the saga's AuthorizeCustomer step). ConfirmPayment
// confirms once per order: the saga may send it again for the same order
// (a retried step with a new command id) and is answered "accepted" with no
// new event; another order is refused. It confirms only an order total
// with 0 < total ≤ the amount authorized (and ≤ limits.MaxTotalCents):
// the saga sends the order's total and this aggregate decides.
var PaymentRules = aggregate.Rules[payments.Payment, payments.PaymentCommand, payments.PaymentEvent]{
	Type: "payment",
	Needs: aggregate.Sees[payments.PaymentCommand](topics.Customers.Table.Name,
		func(c *payments.AuthorizePayment) string { return c.CustomerID }),
	Decide: aggregate.Lifecycle(ErrPaymentExists, ErrPaymentNotFound, authorizePayment, changePayment),
	Evolve: evolvePayment,
}

func authorizePayment(c *payments.AuthorizePayment, facts aggregate.Facts) ([]payments.PaymentEvent, error) {
	_, customerFound := aggregate.State[customers.Customer](facts, topics.Customers.Table.Name, c.CustomerID)
	return aggregate.Emit[payments.PaymentEvent](&payments.PaymentAuthorized{CustomerID: c.CustomerID, AmountCents: c.AmountCents},
		aggregate.When(c.AmountCents <= 0, ErrPaymentAmountNotPositive),
		aggregate.When(c.AmountCents > limits.MaxTotalCents, ErrPaymentAmountTooLarge),
		aggregate.When(aggregate.Blank(c.CustomerID), ErrCustomerIDBlank),
		aggregate.When(!customerFound, ErrCustomerNotFound))
}

func changePayment(p *payments.Payment, cmd payments.PaymentCommand, _ aggregate.Facts) ([]payments.PaymentEvent, error) {
	switch c := cmd.(type) {
	case *payments.ConfirmPayment:
		if err := aggregate.Refuse(
			aggregate.When(aggregate.Blank(c.OrderID), ErrPaymentOrderBlank),
			aggregate.When(p.Confirmed && p.OrderID != c.OrderID, ErrPaymentUsedByAnotherOrder),
			aggregate.When(c.AmountCents <= 0, ErrPaymentConfirmationNotPositive),
			aggregate.When(c.AmountCents > limits.MaxTotalCents, ErrPaymentConfirmationTooLarge),
			aggregate.When(c.AmountCents > p.AmountCents, ErrPaymentAmountExceeded),
		); err != nil {
			return nil, err
		}
		if p.Confirmed {
			return nil, nil // confirmed for this order already: nothing new
		}
		return aggregate.One[payments.PaymentEvent](&payments.PaymentConfirmed{OrderID: c.OrderID, AmountCents: c.AmountCents}), nil
	}
	return nil, fmt.Errorf("the payment aggregate does not handle %T", cmd)
}

func evolvePayment(p payments.Payment, ev payments.PaymentEvent) (payments.Payment, error) {
	switch e := ev.(type) {
	case *payments.PaymentAuthorized:
		return payments.Payment{ID: e.AggregateID, CustomerID: e.CustomerID, AmountCents: e.AmountCents}, nil
	case *payments.PaymentConfirmed:
		p.Confirmed, p.OrderID = true, e.OrderID
	default:
		return p, fmt.Errorf("the payment aggregate cannot apply %T", ev)
	}
	return p, nil
}
