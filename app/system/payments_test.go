package system_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	contractpayments "github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// authorizePayment authorizes an amount for a customer through the API and
// returns the payment id.
func authorizePayment(t *testing.T, customerID string, amount float64) string {
	t.Helper()
	return api(t).Do("POST", "/api/payments", map[string]any{"customerId": customerID, "amount": amount}).Expect(t, http.StatusCreated).S("id")
}

// confirmPayment sends the saga's ConfirmPayment step.
func confirmPayment(t *testing.T, paymentID, orderID string, cents int64) schemas.CommandResult {
	t.Helper()
	cmd := &contractpayments.ConfirmPayment{OrderID: orderID, AmountCents: cents}
	cmd.AggregateID = paymentID
	return sendAndWaitFor(t, cmd)
}

// createInvoice sends the policy's CreateInvoice (on OrderReadied).
func createInvoice(t *testing.T, orderID, paymentID string, cents int64) schemas.CommandResult {
	t.Helper()
	cmd := &contractpayments.CreateInvoice{OrderID: orderID, PaymentID: paymentID, AmountCents: cents}
	cmd.AggregateID = orderID
	return sendAndWaitFor(t, cmd)
}

// cancelInvoice sends the policy's CancelInvoice (on OrderCanceled).
func cancelInvoice(t *testing.T, orderID string) schemas.CommandResult {
	t.Helper()
	cmd := &contractpayments.CancelInvoice{}
	cmd.AggregateID = orderID
	return sendAndWaitFor(t, cmd)
}

func TestAuthorizingAPaymentForARegisteredCustomer(t *testing.T) {
	customer := registerCustomer(t, "Paying Customer")
	r := api(t).Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": 99.90}).Expect(t, http.StatusCreated)
	if _, err := uuid.Parse(r.S("id")); err != nil || r.N("version") != 1 {
		t.Fatalf("want a new id and version 1: %s", r.Raw)
	}
	got := api(t).Do("GET", "/api/payments/"+r.S("id"), nil).Expect(t, http.StatusOK)
	if got.S("customerId") != customer || got.N("amount") != 99.9 || got.Body["confirmed"] != false || got.S("orderId") != "" || got.N("version") != 1 {
		t.Fatalf("unexpected payment %s", got.Raw)
	}
	if !strings.Contains(got.Raw, `"amount":99.90`) {
		t.Fatalf("money must be a decimal JSON number: %s", got.Raw)
	}
}

func TestEveryPaymentRuleAnswersWithItsTextAndStatus(t *testing.T) {
	a := api(t)
	customer := registerCustomer(t, "Rules Customer")
	a.Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": 0}).ExpectError(t, 400, "the payment amount must be positive")
	a.Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": -0.01}).ExpectError(t, 400, "the payment amount must be positive")
	a.Do("POST", "/api/payments", map[string]any{"customerId": uuid.NewString(), "amount": 1}).ExpectError(t, 404, "the customer does not exist")
	a.Do("POST", "/api/payments", map[string]any{"customerId": "", "amount": 1}).ExpectError(t, 400, "the customer id cannot be blank")
	if r := a.Do("POST", "/api/payments", map[string]any{"customerId": customer}); r.Status != 400 || !strings.Contains(r.S("message"), "amount is required") {
		t.Fatalf("a missing amount must be refused: %s", r.Raw)
	}
	if r := a.Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": 1.001}); r.Status != 400 {
		t.Fatalf("an amount with three decimals must be refused: %s", r.Raw)
	}
	payment := authorizePayment(t, customer, 50)
	a.Do("POST", "/api/payments", map[string]any{"id": payment, "customerId": customer, "amount": 50}).ExpectError(t, 400, "the payment already exists")
	a.Do("GET", "/api/payments/"+uuid.NewString(), nil).ExpectError(t, 404, "the payment does not exist")
}

// ConfirmPayment is the saga's third step: once per order, never above the
// amount authorized.
func TestConfirmingAPaymentForAnOrder(t *testing.T) {
	payment := authorizePayment(t, registerCustomer(t, "Confirming Customer"), 99.90)
	order, other := uuid.NewString(), uuid.NewString()

	if res := confirmPayment(t, payment, order, 9991); res.Accepted || res.Message != "payment cannot be confirmed" || res.Kind != "invalid" {
		t.Fatalf("an order total above the authorized amount: %+v", res)
	}
	if res := confirmPayment(t, payment, order, 9990); !res.Accepted || res.Version != 2 || len(res.EventIDs) != 1 {
		t.Fatalf("confirming the order total: %+v", res)
	}
	if res := confirmPayment(t, payment, order, 9990); !res.Accepted || res.Version != 2 || len(res.EventIDs) != 0 {
		t.Fatalf("confirming again for the same order must be accepted with no new event: %+v", res)
	}
	if res := confirmPayment(t, payment, other, 100); res.Accepted || res.Message != "payment cannot be confirmed" {
		t.Fatalf("confirming for another order: %+v", res)
	}
	if res := confirmPayment(t, uuid.NewString(), order, 100); res.Accepted || res.Message != "payment cannot be confirmed" || res.Kind != "not_found" {
		t.Fatalf("confirming an unknown payment: %+v", res)
	}
	got := api(t).Do("GET", "/api/payments/"+payment+"?minVersion=2", nil).Expect(t, http.StatusOK)
	if got.Body["confirmed"] != true || got.S("orderId") != order || got.N("version") != 2 {
		t.Fatalf("unexpected payment %s", got.Raw)
	}
	if ids := eventIDsInLog(t, topics.Payments.Events.Name, payment); len(ids) != 2 {
		t.Fatalf("want authorized and confirmed in the log, got %v", ids)
	}
}

func TestAnInvoiceIsPaidAtPickupOnce(t *testing.T) {
	a := api(t)
	order := uuid.NewString()
	a.Do("PUT", "/api/payments/invoices/"+order+"/pay", nil).ExpectError(t, 404, "the invoice does not exist")
	a.Do("GET", "/api/payments/invoices/"+order, nil).ExpectError(t, 404, "the invoice does not exist")

	if res := createInvoice(t, order, "payment-1", 9000); !res.Accepted || res.Version != 1 {
		t.Fatalf("creating the invoice: %+v", res)
	}
	if res := createInvoice(t, order, "payment-1", 9000); res.Accepted || res.Message != "the invoice already exists" {
		t.Fatalf("creating it again: %+v", res)
	}
	got := a.Do("GET", "/api/payments/invoices/"+order+"?minVersion=1", nil).Expect(t, http.StatusOK)
	if got.S("id") != order || got.S("orderId") != order || got.S("paymentId") != "payment-1" || got.N("amount") != 90 || got.S("status") != "pending" {
		t.Fatalf("unexpected invoice %s", got.Raw)
	}
	if r := a.Do("PUT", "/api/payments/invoices/"+order+"/pay", nil).Expect(t, 200); r.N("version") != 2 || r.S("id") != order {
		t.Fatalf("paying: %s", r.Raw)
	}
	a.Do("PUT", "/api/payments/invoices/"+order+"/pay", nil).ExpectError(t, 400, "invoice cannot be paid for")
	if res := cancelInvoice(t, order); res.Accepted || res.Message != "invoice cannot be canceled" {
		t.Fatalf("canceling a paid invoice: %+v", res)
	}
	if got := a.Do("GET", "/api/payments/invoices/"+order, nil).Expect(t, 200); got.S("status") != "paid" || got.N("version") != 2 {
		t.Fatalf("unexpected invoice %s", got.Raw)
	}
}

func TestACanceledInvoiceCannotBePaid(t *testing.T) {
	order := uuid.NewString()
	createInvoice(t, order, "payment-2", 1250)
	if res := cancelInvoice(t, order); !res.Accepted || res.Version != 2 {
		t.Fatalf("canceling a pending invoice: %+v", res)
	}
	if res := cancelInvoice(t, order); res.Accepted || res.Message != "invoice cannot be canceled" {
		t.Fatalf("canceling it again: %+v", res)
	}
	api(t).Do("PUT", "/api/payments/invoices/"+order+"/pay", nil).ExpectError(t, 400, "invoice cannot be paid for")
	if res := cancelInvoice(t, uuid.NewString()); res.Accepted || res.Message != "the invoice does not exist" || res.Kind != "not_found" {
		t.Fatalf("canceling an unknown invoice: %+v", res)
	}
}

func TestPaymentsAndInvoicesAppearInClickHouse(t *testing.T) {
	payment := authorizePayment(t, registerCustomer(t, "Warehouse Payer"), 12.34)
	order := uuid.NewString()
	confirmPayment(t, payment, order, 1000)
	createInvoice(t, order, payment, 1000)
	api(t).Do("PUT", "/api/payments/invoices/"+order+"/pay", nil).Expect(t, 200)

	conn := clickhouseConn(t)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var orderID string
		var cents int64
		var confirmed uint8
		var version uint64
		err := conn.QueryRow(context.Background(),
			"SELECT toInt64(amount * 100), confirmed, order_id, version FROM mallbots.payments FINAL WHERE id = ?", payment).Scan(&cents, &confirmed, &orderID, &version)
		return err == nil && cents == 1234 && confirmed == 1 && orderID == order && version == 2,
			fmt.Sprintf("payment row: %d cents %d %q v%d %v", cents, confirmed, orderID, version, err)
	})
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var status, paymentID string
		var cents int64
		var version uint64
		err := conn.QueryRow(context.Background(),
			"SELECT toInt64(amount * 100), status, payment_id, version FROM mallbots.invoices FINAL WHERE id = ? AND order_id = ?", order, order).Scan(&cents, &status, &paymentID, &version)
		return err == nil && cents == 1000 && status == "paid" && paymentID == payment && version == 2,
			fmt.Sprintf("invoice row: %d cents %s %q v%d %v", cents, status, paymentID, version, err)
	})
	expectColumns(t, warehouse.PaymentsTable)
	expectColumns(t, warehouse.InvoicesTable)
}
