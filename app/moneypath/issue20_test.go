package moneypath

import (
	"math"
	"testing"

	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/schemas"
	basketsc "github.com/mallbots/mallbots/schemas/baskets"
	depotc "github.com/mallbots/mallbots/schemas/depot"
	paymentsc "github.com/mallbots/mallbots/schemas/payments"
	storesc "github.com/mallbots/mallbots/schemas/stores"
)

// shop is one shopper's way through the mall: a product at price (as the
// API's JSON writes it), quantity of it in a basket, a payment authorized
// for authorization, the checkout, and everything the policies and the
// saga do after it. It returns the result of each step the shopper takes.
func shop(t *testing.T, w *world, price string, quantity int32, authorization string) map[string]schemas.CommandResult {
	t.Helper()
	setUp(w)
	out := map[string]schemas.CommandResult{}
	cents, ok := money(t, price)
	if !ok {
		t.Fatalf("the API refused the price %s", price)
	}
	add := &storesc.AddProduct{StoreID: "store-1", Name: "Wizard w/ crystal", PriceCents: cents}
	add.AggregateID = "wizard"
	out["AddProduct"] = w.send(add)
	start := &basketsc.StartBasket{CustomerID: "customer-1"}
	start.AggregateID = "basket-1"
	out["StartBasket"] = w.send(start)
	item := &basketsc.AddItem{ProductID: "wizard", Quantity: quantity}
	item.AggregateID = "basket-1"
	out["AddItem"] = w.send(item)
	amount, ok := money(t, authorization)
	if !ok {
		t.Fatalf("the API refused the amount %s", authorization)
	}
	auth := &paymentsc.AuthorizePayment{CustomerID: "customer-1", AmountCents: amount}
	auth.AggregateID = "payment-1"
	out["AuthorizePayment"] = w.send(auth)
	mark := len(w.log)
	checkout := &basketsc.CheckoutBasket{PaymentID: "payment-1"}
	checkout.AggregateID = "basket-1"
	out["CheckoutBasket"] = w.send(checkout)
	w.react(mark)
	return out
}

func refusedWith(t *testing.T, res schemas.CommandResult, code, message, kind string) {
	t.Helper()
	if res.Accepted || res.Code != code || res.Message != message || res.Kind != kind {
		t.Errorf("got %+v, want refused (%s) %s: %s", res, kind, code, message)
	}
}

// Issue 20, item 1, as it was reproduced: each step that let the basket's
// total wrap is refused with the limit it breaks, and nothing reaches the
// payment.
func TestIssue20sBasketIsRefusedAtEveryStep(t *testing.T) {
	w := newWorld(t)
	out := shop(t, w, "46116860184273879.03", math.MaxInt32, "1.00")
	refusedWith(t, out["AddProduct"], "product_price_too_large", "the product price cannot exceed 1,000,000.00", "invalid")
	refusedWith(t, out["AddItem"], "product_not_located", "product fallback failed: product was not located", "not_found")
	refusedWith(t, out["CheckoutBasket"], "basket_has_no_items", "the basket has no items", "invalid")

	w = newWorld(t)
	out = shop(t, w, "9.99", math.MaxInt32, "1.00")
	refusedWith(t, out["AddItem"], "item_quantity_too_large", "the item quantity cannot exceed 1,000", "invalid")

	w = newWorld(t)
	out = shop(t, w, "1000000.00", 11, "1.00")
	refusedWith(t, out["AddItem"], "basket_total_too_large", "the basket total cannot exceed 10,000,000.00", "invalid")
	checkTheLog(t, w)
}

// 200 adds of 50 made a basket of 10,000 units: the 21st is refused.
func TestALineStopsAtAThousandUnits(t *testing.T) {
	w := newWorld(t)
	setUp(w)
	add := &storesc.AddProduct{StoreID: "store-1", Name: "Wizard w/ crystal", PriceCents: 999}
	add.AggregateID = "wizard"
	start := &basketsc.StartBasket{CustomerID: "customer-1"}
	start.AggregateID = "basket-1"
	for _, cmd := range []schemas.Command{add, start} {
		if res := w.send(cmd); !res.Accepted {
			t.Fatalf("%T: %+v", cmd, res)
		}
	}
	fifty := func() schemas.CommandResult {
		item := &basketsc.AddItem{ProductID: "wizard", Quantity: 50}
		item.AggregateID = "basket-1"
		return w.send(item)
	}
	for n := 1; n <= 20; n++ {
		if res := fifty(); !res.Accepted {
			t.Fatalf("add %d of 50: %+v", n, res)
		}
	}
	refusedWith(t, fifty(), "item_quantity_too_large", "the item quantity cannot exceed 1,000", "invalid")
	if b := w.baskets.state("basket-1"); b.Items["wizard"].Quantity != 1000 {
		t.Fatalf("the line holds %d", b.Items["wizard"].Quantity)
	}
}

// The saga asks the payment to confirm the order's total; an authorization
// that does not cover it refuses, and the order is rejected with the
// payment's reason, its shopping list canceled, nothing confirmed or
// invoiced.
func TestAnOrderTotalAboveItsAuthorizationRejectsTheOrderWithThePaymentsReason(t *testing.T) {
	w := newWorld(t)
	out := shop(t, w, "9.99", 2, "19.97") // 19.98 due
	if !out["CheckoutBasket"].Accepted || !out["AuthorizePayment"].Accepted {
		t.Fatalf("the shopper got %+v", out)
	}
	var confirm *schemas.CommandResult
	for i, r := range w.results {
		if r.CommandID == saga.StepCommandID("basket-1", saga.StepConfirmPayment) {
			confirm = &w.results[i]
		}
	}
	if confirm == nil {
		t.Fatal("the saga never asked the payment to confirm")
	}
	refusedWith(t, *confirm, "payment_amount_exceeded", "payment cannot be confirmed", "invalid")
	order := w.orders.state("basket-1")
	if order.Status != ordering.StatusRejected || order.RejectionReason != "payment cannot be confirmed" || order.TotalCents != 1998 {
		t.Fatalf("the order %+v, want rejected: payment cannot be confirmed", order)
	}
	if l := w.shoppingLists.state(saga.ShoppingListID("basket-1")); l.Status != "canceled" {
		t.Fatalf("the shopping list is %s, want canceled", l.Status)
	}
	for _, ev := range w.log {
		switch ev.(type) {
		case *paymentsc.PaymentConfirmed, *paymentsc.InvoiceCreated, *depotc.ShoppingListInitiated:
			t.Fatalf("the log holds %T for an order its payment does not cover", ev)
		}
	}

	// The same order with 19.98 authorized is approved.
	w = newWorld(t)
	shop(t, w, "9.99", 2, "19.98")
	if order := w.orders.state("basket-1"); order.Status != ordering.StatusApproved {
		t.Fatalf("the order %+v, want approved", order)
	}
	checkTheLog(t, w)
}
