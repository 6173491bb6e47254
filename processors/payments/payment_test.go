package payments

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/topics"
)

type paymentSpec = aggregatetest.Spec[payments.PaymentCommand, payments.PaymentEvent]

// customerExists is what the customers table says about customer-1.
var customerExists = aggregatetest.Fact(topics.Customers.Table.Name, "customer-1",
	customers.Customer{ID: "customer-1", Name: "John Smith", SMSNumber: "555-0100", Enabled: true})

func authorized(cents int64) payments.PaymentEvent {
	return &payments.PaymentAuthorized{CustomerID: "customer-1", AmountCents: cents}
}

func confirmed(order string, cents int64) payments.PaymentEvent {
	return &payments.PaymentConfirmed{OrderID: order, AmountCents: cents}
}

func TestPaymentRules(t *testing.T) {
	authorize := func(cents int64) *payments.AuthorizePayment {
		return &payments.AuthorizePayment{CustomerID: "customer-1", AmountCents: cents}
	}
	confirm := func(order string, cents int64) *payments.ConfirmPayment {
		return &payments.ConfirmPayment{OrderID: order, AmountCents: cents}
	}
	aggregatetest.Run(t, PaymentRules, []paymentSpec{
		{Name: "authorizing 99.90 for a registered customer succeeds",
			When: authorize(9990), Facts: customerExists, Then: []payments.PaymentEvent{authorized(9990)}},
		{Name: "authorizing nothing fails",
			When: authorize(0), Facts: customerExists, Err: ErrPaymentAmountNotPositive},
		{Name: "authorizing a negative amount fails",
			When: authorize(-1), Facts: customerExists, Err: ErrPaymentAmountNotPositive},
		{Name: "authorizing the largest order total, 10,000,000.00, succeeds",
			When: authorize(1_000_000_000), Facts: customerExists, Then: []payments.PaymentEvent{authorized(1_000_000_000)}},
		{Name: "authorizing more than 10,000,000.00 fails",
			When: authorize(1_000_000_001), Facts: customerExists, Err: ErrPaymentAmountTooLarge},
		{Name: "authorizing for no customer fails",
			When: &payments.AuthorizePayment{CustomerID: " ", AmountCents: 100}, Err: ErrCustomerIDBlank},
		{Name: "authorizing for an unknown customer fails",
			When: authorize(100), Err: ErrCustomerNotFound},
		{Name: "authorizing with a payment id already used fails",
			Given: []payments.PaymentEvent{authorized(100)},
			When:  authorize(100), Facts: customerExists, Err: ErrPaymentExists},
		{Name: "confirming the order total within the authorized amount succeeds",
			Given: []payments.PaymentEvent{authorized(9990)},
			When:  confirm("order-1", 9000),
			Then:  []payments.PaymentEvent{confirmed("order-1", 9000)}},
		{Name: "confirming exactly the authorized amount succeeds",
			Given: []payments.PaymentEvent{authorized(9990)},
			When:  confirm("order-1", 9990),
			Then:  []payments.PaymentEvent{confirmed("order-1", 9990)}},
		{Name: "confirming an order total above the authorized amount fails",
			Given: []payments.PaymentEvent{authorized(9990)},
			When:  confirm("order-1", 9991), Err: ErrPaymentAmountExceeded},
		{Name: "confirming an order total of nothing fails",
			Given: []payments.PaymentEvent{authorized(9990)},
			When:  confirm("order-1", 0), Err: ErrPaymentConfirmationNotPositive},
		{Name: "confirming the wrapped, negative order total of issue 20 against 1.00 fails",
			Given: []payments.PaymentEvent{authorized(100)},
			When:  confirm("order-1", -4_611_686_020_574_871_551), Err: ErrPaymentConfirmationNotPositive},
		{Name: "confirming the largest order total within its authorization succeeds",
			Given: []payments.PaymentEvent{authorized(1_000_000_000)},
			When:  confirm("order-1", 1_000_000_000),
			Then:  []payments.PaymentEvent{confirmed("order-1", 1_000_000_000)}},
		{Name: "confirming an order total above 10,000,000.00 fails within an authorization made before the limit",
			Given: []payments.PaymentEvent{authorized(4_611_686_018_427_387_903)},
			When:  confirm("order-1", 1_000_000_001), Err: ErrPaymentConfirmationTooLarge},
		{Name: "confirming again for the same order with a non-positive amount fails",
			Given: []payments.PaymentEvent{authorized(9990), confirmed("order-1", 9000)},
			When:  confirm("order-1", -1), Err: ErrPaymentConfirmationNotPositive},
		{Name: "confirming an unknown payment fails",
			When: confirm("order-1", 100), Err: ErrPaymentNotFound},
		{Name: "confirming again for the same order is accepted with no new event",
			Given: []payments.PaymentEvent{authorized(9990), confirmed("order-1", 9000)},
			When:  confirm("order-1", 9000),
			Then:  []payments.PaymentEvent{}},
		{Name: "confirming again for the same order above the authorized amount still fails",
			Given: []payments.PaymentEvent{authorized(9990), confirmed("order-1", 9000)},
			When:  confirm("order-1", 10000), Err: ErrPaymentAmountExceeded},
		{Name: "confirming a payment confirmed for another order fails",
			Given: []payments.PaymentEvent{authorized(9990), confirmed("order-1", 9000)},
			When:  confirm("order-2", 100), Err: ErrPaymentUsedByAnotherOrder},
		{Name: "confirming for no order fails",
			Given: []payments.PaymentEvent{authorized(9990)},
			When:  confirm("", 100), Err: ErrPaymentOrderBlank},
	})
}

// Every refusal of ConfirmPayment carries the domain's one text, which the
// saga turns into the order's rejection reason; code and kind tell them
// apart.
func TestConfirmPaymentRefusalsShareTheDomainText(t *testing.T) {
	for _, rej := range []*aggregate.Rejection{ErrPaymentNotFound, ErrPaymentAmountExceeded, ErrPaymentUsedByAnotherOrder, ErrPaymentOrderBlank,
		ErrPaymentConfirmationNotPositive, ErrPaymentConfirmationTooLarge} {
		if rej.Message != "payment cannot be confirmed" {
			t.Errorf("%s says %q", rej.Code, rej.Message)
		}
	}
	if ErrPaymentNotFound.Kind != aggregate.NotFound || ErrPaymentAmountExceeded.Kind != aggregate.Invalid {
		t.Errorf("kinds: unknown %s, exceeded %s", ErrPaymentNotFound.Kind, ErrPaymentAmountExceeded.Kind)
	}
}

func TestAnAuthorizationAboveTheLimitSaysTheLimit(t *testing.T) {
	if want := "the payment amount cannot exceed 10,000,000.00"; ErrPaymentAmountTooLarge.Message != want || ErrPaymentAmountTooLarge.Kind != aggregate.Invalid {
		t.Errorf("%s says %q (%s), want %q (400)", ErrPaymentAmountTooLarge.Code, ErrPaymentAmountTooLarge.Message, ErrPaymentAmountTooLarge.Kind, want)
	}
}

func TestPaymentStateFollowsItsEvents(t *testing.T) {
	var p payments.Payment
	var err error
	first := authorized(9990)
	first.EventMetadata().AggregateID = "payment-1"
	for _, ev := range []payments.PaymentEvent{first, confirmed("order-1", 9000)} {
		if p, err = evolvePayment(p, ev); err != nil {
			t.Fatal(err)
		}
	}
	want := payments.Payment{ID: "payment-1", CustomerID: "customer-1", AmountCents: 9990, Confirmed: true, OrderID: "order-1"}
	if p != want {
		t.Fatalf("state %+v, want %+v", p, want)
	}
	if _, err := evolvePayment(p, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
