package payments

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/payments"
)

type invoiceSpec = aggregatetest.Spec[payments.InvoiceCommand, payments.InvoiceEvent]

// aggregatetest names the aggregate under test "agg-1": the order's id.
const orderID = "agg-1"

func invoiced() payments.InvoiceEvent {
	return &payments.InvoiceCreated{OrderID: orderID, PaymentID: "payment-1", AmountCents: 9000}
}

func TestInvoiceRules(t *testing.T) {
	create := &payments.CreateInvoice{OrderID: orderID, PaymentID: "payment-1", AmountCents: 9000}
	aggregatetest.Run(t, InvoiceRules, []invoiceSpec{
		{Name: "invoicing a ready order succeeds",
			When: create, Then: []payments.InvoiceEvent{invoiced()}},
		{Name: "an invoice without an order id takes its own id, the order's",
			When: &payments.CreateInvoice{PaymentID: "payment-1", AmountCents: 9000},
			Then: []payments.InvoiceEvent{invoiced()}},
		{Name: "an invoice for another order than its id fails",
			When: &payments.CreateInvoice{OrderID: "order-2", PaymentID: "payment-1", AmountCents: 9000}, Err: ErrInvoiceOrderMismatch},
		{Name: "invoicing the largest order total, 10,000,000.00, succeeds",
			When: &payments.CreateInvoice{OrderID: orderID, PaymentID: "payment-1", AmountCents: 1_000_000_000},
			Then: []payments.InvoiceEvent{&payments.InvoiceCreated{OrderID: orderID, PaymentID: "payment-1", AmountCents: 1_000_000_000}}},
		{Name: "invoicing more than 10,000,000.00 fails",
			When: &payments.CreateInvoice{OrderID: orderID, PaymentID: "payment-1", AmountCents: 1_000_000_001}, Err: ErrInvoiceAmountTooLarge},
		{Name: "invoicing nothing fails",
			When: &payments.CreateInvoice{OrderID: orderID, PaymentID: "payment-1", AmountCents: 0}, Err: ErrInvoiceAmountNotPositive},
		{Name: "invoicing the wrapped, negative total of issue 20 fails",
			When: &payments.CreateInvoice{OrderID: orderID, PaymentID: "payment-1", AmountCents: -4_611_686_020_574_871_551}, Err: ErrInvoiceAmountNotPositive},
		{Name: "invoicing an order twice fails",
			Given: []payments.InvoiceEvent{invoiced()},
			When:  create, Err: ErrInvoiceExists},
		{Name: "paying a pending invoice succeeds",
			Given: []payments.InvoiceEvent{invoiced()},
			When:  &payments.PayInvoice{},
			Then:  []payments.InvoiceEvent{&payments.InvoicePaid{OrderID: orderID, AmountCents: 9000}}},
		{Name: "paying a paid invoice fails",
			Given: []payments.InvoiceEvent{invoiced(), &payments.InvoicePaid{OrderID: orderID, AmountCents: 9000}},
			When:  &payments.PayInvoice{}, Err: ErrInvoiceCannotBePaid},
		{Name: "paying a canceled invoice fails",
			Given: []payments.InvoiceEvent{invoiced(), &payments.InvoiceCanceled{OrderID: orderID}},
			When:  &payments.PayInvoice{}, Err: ErrInvoiceCannotBePaid},
		{Name: "paying an unknown invoice fails",
			When: &payments.PayInvoice{}, Err: ErrInvoiceNotFound},
		{Name: "canceling a pending invoice succeeds",
			Given: []payments.InvoiceEvent{invoiced()},
			When:  &payments.CancelInvoice{},
			Then:  []payments.InvoiceEvent{&payments.InvoiceCanceled{OrderID: orderID}}},
		{Name: "canceling a paid invoice fails",
			Given: []payments.InvoiceEvent{invoiced(), &payments.InvoicePaid{OrderID: orderID, AmountCents: 9000}},
			When:  &payments.CancelInvoice{}, Err: ErrInvoiceCannotCancel},
		{Name: "canceling a canceled invoice fails",
			Given: []payments.InvoiceEvent{invoiced(), &payments.InvoiceCanceled{OrderID: orderID}},
			When:  &payments.CancelInvoice{}, Err: ErrInvoiceCannotCancel},
		{Name: "canceling an unknown invoice fails",
			When: &payments.CancelInvoice{}, Err: ErrInvoiceNotFound},
	})
}

func TestTheInvoiceAmountRejectionsSayTheirLimits(t *testing.T) {
	for err, want := range map[*aggregate.Rejection]string{
		ErrInvoiceAmountNotPositive: "the invoice amount must be positive",
		ErrInvoiceAmountTooLarge:    "the invoice amount cannot exceed 10,000,000.00",
	} {
		if err.Message != want || err.Kind != aggregate.Invalid {
			t.Errorf("%s says %q (%s), want %q (400)", err.Code, err.Message, err.Kind, want)
		}
	}
}

func TestInvoiceStateFollowsItsEvents(t *testing.T) {
	var inv payments.Invoice
	var err error
	first := invoiced()
	first.EventMetadata().AggregateID = orderID
	for i, tc := range []struct {
		ev     payments.InvoiceEvent
		status string
	}{
		{first, "pending"},
		{&payments.InvoicePaid{OrderID: orderID, AmountCents: 9000}, "paid"},
	} {
		if inv, err = evolveInvoice(inv, tc.ev); err != nil {
			t.Fatal(err)
		}
		if inv.Status != tc.status {
			t.Fatalf("after event %d the status is %q, want %q", i, inv.Status, tc.status)
		}
	}
	if inv != (payments.Invoice{ID: orderID, OrderID: orderID, PaymentID: "payment-1", AmountCents: 9000, Status: "paid"}) {
		t.Fatalf("unexpected state %+v", inv)
	}
	if canceled, _ := evolveInvoice(payments.Invoice{Status: "pending"}, &payments.InvoiceCanceled{EventMeta: schemas.EventMeta{}}); canceled.Status != "canceled" {
		t.Fatalf("a canceled invoice is %q", canceled.Status)
	}
	if _, err := evolveInvoice(inv, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
