// Package payments is the published contract of the payments context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.payments).
package payments

import (
	"embed"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// PaymentCommand is a command to the Payment aggregate.
type PaymentCommand interface {
	schemas.Command
	paymentCommand()
}

// PaymentEvent is an event of the Payment aggregate.
type PaymentEvent interface {
	schemas.Event
	paymentEvent()
}

// InvoiceCommand is a command to the Invoice aggregate.
type InvoiceCommand interface {
	schemas.Command
	invoiceCommand()
}

// InvoiceEvent is an event of the Invoice aggregate.
type InvoiceEvent interface {
	schemas.Event
	invoiceEvent()
}

// Payment is a record of the payments contract.
type Payment struct {
	ID          string `avro:"id"`
	CustomerID  string `avro:"customerId"`
	AmountCents int64  `avro:"amountCents"`
	Confirmed   bool   `avro:"confirmed"`
	OrderID     string `avro:"orderId"`
}

// Invoice is a record of the payments contract.
type Invoice struct {
	ID          string `avro:"id"`
	OrderID     string `avro:"orderId"`
	PaymentID   string `avro:"paymentId"`
	AmountCents int64  `avro:"amountCents"`
	Status      string `avro:"status"`
}

// AuthorizePayment: authorize an amount for a customer; aggregateId is the new payment id.
type AuthorizePayment struct {
	schemas.CommandMeta
	CustomerID  string `avro:"customerId"`
	AmountCents int64  `avro:"amountCents"`
}

// ConfirmPayment: create-order saga: confirm the payment for an order total.
type ConfirmPayment struct {
	schemas.CommandMeta
	OrderID     string `avro:"orderId"`
	AmountCents int64  `avro:"amountCents"`
}

// PaymentAuthorized: an amount was authorized.
type PaymentAuthorized struct {
	schemas.EventMeta
	CustomerID  string `avro:"customerId"`
	AmountCents int64  `avro:"amountCents"`
}

// PaymentConfirmed: a payment was confirmed for an order.
type PaymentConfirmed struct {
	schemas.EventMeta
	OrderID     string `avro:"orderId"`
	AmountCents int64  `avro:"amountCents"`
}

// PaymentSnapshot is the state-table record of a Payment.
type PaymentSnapshot = schemas.Snapshot[Payment]

// CreateInvoice: invoice a ready order; aggregateId is the order id.
type CreateInvoice struct {
	schemas.CommandMeta
	OrderID     string `avro:"orderId"`
	PaymentID   string `avro:"paymentId"`
	AmountCents int64  `avro:"amountCents"`
}

// PayInvoice: the customer pays at pickup.
type PayInvoice struct{ schemas.CommandMeta }

// CancelInvoice: the order was canceled.
type CancelInvoice struct{ schemas.CommandMeta }

// InvoiceCreated: an invoice was created.
type InvoiceCreated struct {
	schemas.EventMeta
	OrderID     string `avro:"orderId"`
	PaymentID   string `avro:"paymentId"`
	AmountCents int64  `avro:"amountCents"`
}

// InvoicePaid: an invoice was paid.
type InvoicePaid struct {
	schemas.EventMeta
	OrderID     string `avro:"orderId"`
	AmountCents int64  `avro:"amountCents"`
}

// InvoiceCanceled: an invoice was canceled.
type InvoiceCanceled struct {
	schemas.EventMeta
	OrderID string `avro:"orderId"`
}

// InvoiceSnapshot is the state-table record of a Invoice.
type InvoiceSnapshot = schemas.Snapshot[Invoice]

func (*AuthorizePayment) paymentCommand() {}
func (*ConfirmPayment) paymentCommand()   {}
func (*PaymentAuthorized) paymentEvent()  {}
func (*PaymentConfirmed) paymentEvent()   {}
func (*CreateInvoice) invoiceCommand()    {}
func (*PayInvoice) invoiceCommand()       {}
func (*CancelInvoice) invoiceCommand()    {}
func (*InvoiceCreated) invoiceEvent()     {}
func (*InvoicePaid) invoiceEvent()        {}
func (*InvoiceCanceled) invoiceEvent()    {}

// Types returns the record types of the payments context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.payments", schemas.Records(
		new(AuthorizePayment), new(ConfirmPayment), new(PaymentAuthorized), new(PaymentConfirmed),
		new(PaymentSnapshot), new(CreateInvoice), new(PayInvoice), new(CancelInvoice),
		new(InvoiceCreated), new(InvoicePaid), new(InvoiceCanceled), new(InvoiceSnapshot),
	), nil)
}
