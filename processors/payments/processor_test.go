package payments

import (
	"testing"
	"time"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	contractcustomers "github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/topics"
)

// The payments groups run under goka's tester (enginetest); the customers
// table they look up is filled by the test (registered), as the customers
// context publishes it.

var (
	meta     = enginetest.Meta
	fromSaga = enginetest.FromSaga
)

// registered publishes a customer in the customers table, as the customer
// group does after RegisterCustomer.
func registered(r *enginetest.Rig, id string) {
	enginetest.SetSnapshot(r, topics.Customers, &contractcustomers.CustomerSnapshot{AggregateID: id, Version: 1, LastOffset: 0, UpdatedAt: time.Now().UTC(),
		State: contractcustomers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}})
}

func TestAuthorizePaymentLooksUpTheCustomersTable(t *testing.T) {
	r := enginetest.New(t, Groups)
	authorize := &payments.AuthorizePayment{CommandMeta: meta("c1", "pay1"), CustomerID: "cu1", AmountCents: 9990}
	r.Send(authorize)
	if res := r.NextResult(); res.Accepted || res.Message != "the customer does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}

	registered(r, "cu1")
	authorize.CommandID = "c3"
	r.Send(authorize)
	if res := r.NextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "payment" {
		t.Fatalf("unexpected %+v", res)
	}
	if ev := r.NextEvent(topics.Payments).(*payments.PaymentAuthorized); ev.CustomerID != "cu1" || ev.AmountCents != 9990 {
		t.Fatalf("unexpected %+v", ev)
	}
}

func TestConfirmPaymentRepliesToTheSagaOncePerOrder(t *testing.T) {
	r := enginetest.New(t, Groups)
	registered(r, "cu1")
	r.Send(&payments.AuthorizePayment{CommandMeta: meta("c2", "pay1"), CustomerID: "cu1", AmountCents: 9990})
	r.NextEvent(topics.Payments)

	r.Send(&payments.ConfirmPayment{CommandMeta: meta("c3", "pay1"), OrderID: "order-1", AmountCents: 9991}, fromSaga("order-1"))
	if key, reply := r.NextReply(); key != "order-1" || reply.Accepted || reply.Message != "payment cannot be confirmed" || reply.Code != "payment_amount_exceeded" || reply.Kind != "invalid" {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}
	r.Send(&payments.ConfirmPayment{CommandMeta: meta("c4", "pay1"), OrderID: "order-1", AmountCents: 9000}, fromSaga("order-1"))
	if key, reply := r.NextReply(); key != "order-1" || !reply.Accepted || reply.Version != 2 {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}
	if ev := r.NextEvent(topics.Payments).(*payments.PaymentConfirmed); ev.OrderID != "order-1" || ev.AmountCents != 9000 || ev.AggregateVersion != 2 {
		t.Fatalf("unexpected %+v", ev)
	}

	// The saga asks again (a new command id): accepted, nothing appended.
	r.Send(&payments.ConfirmPayment{CommandMeta: meta("c5", "pay1"), OrderID: "order-1", AmountCents: 9000}, fromSaga("order-1"))
	if key, reply := r.NextReply(); key != "order-1" || !reply.Accepted || reply.Version != 2 || len(reply.EventIDs) != 0 {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}
	r.NoEvent(topics.Payments)

	r.Send(&payments.ConfirmPayment{CommandMeta: meta("c6", "pay1"), OrderID: "order-2", AmountCents: 100}, fromSaga("order-2"))
	if key, reply := r.NextReply(); key != "order-2" || reply.Accepted || reply.Message != "payment cannot be confirmed" || reply.Code != "payment_confirmed_for_another_order" {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}
	r.Send(&payments.ConfirmPayment{CommandMeta: meta("c7", "nope"), OrderID: "order-3", AmountCents: 100}, fromSaga("order-3"))
	if key, reply := r.NextReply(); key != "order-3" || reply.Accepted || reply.Message != "payment cannot be confirmed" || reply.Kind != "not_found" {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}
	r.NoEvent(topics.Payments)

	snap := enginetest.Snapshot[payments.Payment](r, topics.Payments, "pay1")
	want := payments.Payment{ID: "pay1", CustomerID: "cu1", AmountCents: 9990, Confirmed: true, OrderID: "order-1"}
	if snap.Version != 2 || snap.State != want {
		t.Fatalf("snapshot v%d %+v, want v2 %+v", snap.Version, snap.State, want)
	}
}

func TestAnInvoiceIsCreatedPendingThenPaidOnce(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&payments.PayInvoice{CommandMeta: meta("c0", "order-1")})
	if res := r.NextResult(); res.Accepted || res.Message != "the invoice does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
	r.Send(&payments.CreateInvoice{CommandMeta: meta("c1", "order-1"), OrderID: "order-1", PaymentID: "pay1", AmountCents: 9000})
	if res := r.NextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "invoice" {
		t.Fatalf("unexpected %+v", res)
	}
	r.Send(&payments.PayInvoice{CommandMeta: meta("c2", "order-1")})
	if res := r.NextResult(); !res.Accepted || res.Version != 2 {
		t.Fatalf("unexpected %+v", res)
	}
	r.Send(&payments.CancelInvoice{CommandMeta: meta("c3", "order-1")})
	if res := r.NextResult(); res.Accepted || res.Message != "invoice cannot be canceled" {
		t.Fatalf("unexpected %+v", res)
	}
	if ev := r.NextEvent(topics.Invoices).(*payments.InvoiceCreated); ev.OrderID != "order-1" || ev.PaymentID != "pay1" || ev.AmountCents != 9000 {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.NextEvent(topics.Invoices).(*payments.InvoicePaid); ev.OrderID != "order-1" || ev.AmountCents != 9000 {
		t.Fatalf("unexpected %+v", ev)
	}
	r.NoEvent(topics.Invoices)
	if snap := enginetest.Snapshot[payments.Invoice](r, topics.Invoices, "order-1"); snap.Version != 2 || snap.State.Status != "paid" {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}
