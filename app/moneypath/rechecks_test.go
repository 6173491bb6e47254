package moneypath

import (
	"fmt"
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/schemas"
	basketsc "github.com/mallbots/mallbots/schemas/baskets"
	depotc "github.com/mallbots/mallbots/schemas/depot"
	orderingc "github.com/mallbots/mallbots/schemas/ordering"
	paymentsc "github.com/mallbots/mallbots/schemas/payments"
	storesc "github.com/mallbots/mallbots/schemas/stores"
)

// Any Kafka client can produce a command, and state logged before the
// limits is still replayed, so every aggregate on the money path re-checks
// what it is given rather than trusting the one before it. The specs below
// give each, in every run, one input aimed at each of its limits and one
// aimed at none (a basket and an authorization as old events made them,
// the other commands as anyone could send them), drawn up to and past the
// limits and int64's edges. The aim only steers the drawing: what an input
// breaks is worked out from the input alone (verdict). Each aggregate must
// accept exactly what breaks nothing, refuse the rest with a broken
// limit's code, and never log an amount outside 0 … 10,000,000.00
// (checkTheLog).

func TestABasketFilledBeforeTheLimitsChecksOutOnlyWithinThem(t *testing.T) {
	recheck(t, func(t *rapid.T, w *world, seen map[string]bool) {
		for _, aim := range []string{"none", "lines", "price below", "price above", "quantity above", "total", "anything"} {
			oldBasketChecksOut(t, w, seen, aim)
		}
	}, "basket_has_too_many_products", "product_price_negative", "product_price_too_large",
		"item_quantity_too_large", "basket_total_too_large", "accepted")
}

func TestCreateOrderRechecksItsLinesAndTotal(t *testing.T) {
	recheck(t, func(t *rapid.T, w *world, seen map[string]bool) {
		for _, aim := range []string{"none", "no lines", "lines", "price below", "price above", "quantity below", "quantity above",
			"total", "mismatch", "anything"} {
			createOrder(t, w, seen, aim)
		}
	}, "order_has_no_items", "order_has_too_many_products", "order_item_quantity_not_positive", "item_quantity_too_large",
		"product_price_negative", "product_price_too_large", "order_total_too_large", "order_total_mismatch", "accepted")
}

func TestConfirmPaymentConfirmsOnlyAPositiveAmountWithinTheAuthorization(t *testing.T) {
	recheck(t, func(t *rapid.T, w *world, seen map[string]bool) {
		for _, logged := range []bool{false, true} {
			for _, aim := range []string{"within", "not positive", "too large", "anything"} {
				confirmPayment(t, w, seen, aim, logged)
			}
		}
	}, "payment_amount_not_positive", "payment_amount_too_large", "payment_not_found",
		"payment_confirmation_amount_not_positive", "payment_confirmation_amount_too_large", "payment_amount_exceeded", "accepted")
}

func TestCreateInvoiceRechecksItsAmount(t *testing.T) {
	recheck(t, func(t *rapid.T, w *world, seen map[string]bool) {
		for _, aim := range []string{"within", "not positive", "too large", "anything"} {
			createInvoice(t, w, seen, aim)
		}
	}, "invoice_amount_not_positive", "invoice_amount_too_large", "accepted")
}

func TestCreateShoppingListRechecksItsQuantities(t *testing.T) {
	recheck(t, func(t *rapid.T, w *world, seen map[string]bool) {
		products := rapid.IntRange(1, 3).Draw(t, "products")
		for i := range products {
			add := &storesc.AddProduct{StoreID: "store-1", Name: fmt.Sprint("p", i), PriceCents: 100}
			add.AggregateID = fmt.Sprint("p", i)
			if res := w.send(add); !res.Accepted {
				t.Fatalf("AddProduct refused: %s", res.Message)
			}
		}
		for _, aim := range []string{"none", "no lines", "lines", "quantity below", "quantity above", "sum above", "anything"} {
			createShoppingList(t, w, seen, aim, products)
		}
	}, "shopping_list_items_invalid", "shopping_list_has_too_many_items", "shopping_list_item_quantity_too_large", "accepted")
}

func recheck(t *testing.T, scenario func(*rapid.T, *world, map[string]bool), outcomes ...string) {
	t.Helper()
	seen := map[string]bool{}
	rapid.Check(t, func(t *rapid.T) {
		w := newWorld(t)
		setUp(w)
		scenario(t, w, seen)
		checkTheLog(t, w)
	})
	reached(t, seen, outcomes...)
}

// reached fails the test when no run of a property reached one of the
// outcomes its generators are meant to reach: a limit never tested is a
// property that cannot fail.
func reached(t *testing.T, seen map[string]bool, outcomes ...string) {
	t.Helper()
	for _, o := range outcomes {
		if !seen[o] {
			t.Errorf("no run reached %s: the generators miss it", o)
		}
	}
}

// given puts an aggregate into its table and its events into the log,
// without deciding anything: state logged before the limits existed, which
// every processor still replays.
func given[S any, C schemas.Command, E schemas.Event](w *world, tb *table[S, C, E], id string, events ...E) {
	w.t.Helper()
	var s S
	for i, ev := range events {
		m := ev.EventMetadata()
		m.AggregateID, m.AggregateVersion = id, int64(i+1)
		var err error
		if s, err = tb.rules.Evolve(s, ev); err != nil {
			w.t.Fatalf("evolve %T: %v", ev, err)
		}
		w.log = append(w.log, ev)
	}
	tb.snaps[id] = &schemas.Snapshot[S]{AggregateID: id, Version: int64(len(events)), State: s}
}

// drawnLine is a line's price and quantity.
type drawnLine struct {
	price    int64
	quantity int32
}

// drawLines draws lines aimed at: "none" (lines that break nothing),
// "lines" (more than a basket may hold), "price below" or "price above"
// (one line's price past a limit), "quantity below" or "quantity above",
// "total" (lines within their limits whose sum is past the largest total)
// or "anything" (every line anywhere, past any limit and int64's edges).
func drawLines(t *rapid.T, aim, label string) []drawnLine {
	n := rapid.OneOf(rapid.IntRange(1, 5), rapid.IntRange(maxLines-3, maxLines)).Draw(t, label+" lines")
	if aim == "lines" {
		n = rapid.IntRange(maxLines+1, maxLines+3).Draw(t, label+" lines")
	}
	price, quantity := rapid.Int64Range(0, 2000), rapid.Int32Range(1, 20) // 100 such lines stay below the largest total
	switch aim {
	case "total":
		price, quantity = rapid.Int64Range(maxPrice/2, maxPrice), rapid.Int32Range(int32(maxQuantity)/2, int32(maxQuantity))
	case "anything":
		price, quantity = edgeCents, edgeQuantity
	}
	out := make([]drawnLine, n)
	for i := range out {
		out[i] = drawnLine{price.Draw(t, fmt.Sprint(label, " price ", i)), quantity.Draw(t, fmt.Sprint(label, " quantity ", i))}
	}
	at := rapid.IntRange(0, n-1).Draw(t, label+" broken line")
	switch aim {
	case "price below":
		out[at].price = rapid.OneOf(rapid.Int64Range(-1000, -1), rapid.Int64Range(math.MinInt64, -1)).Draw(t, label+" broken price")
	case "price above":
		out[at].price = rapid.OneOf(rapid.Int64Range(maxPrice+1, maxPrice+1000), rapid.Int64Range(maxPrice+1, math.MaxInt64)).Draw(t, label+" broken price")
	case "quantity below":
		out[at].quantity = rapid.OneOf(rapid.Int32Range(-3, 0), rapid.Int32Range(math.MinInt32, 0)).Draw(t, label+" broken quantity")
	case "quantity above":
		out[at].quantity = rapid.OneOf(rapid.Int32Range(int32(maxQuantity)+1, int32(maxQuantity)+10),
			rapid.Int32Range(int32(maxQuantity)+1, math.MaxInt32)).Draw(t, label+" broken quantity")
	}
	return out
}

// amountAimed draws an amount aimed "within" 0 < amount ≤ the largest
// total, "not positive", "too large" or "anything".
func amountAimed(t *rapid.T, aim, label string) int64 {
	switch aim {
	case "within":
		return rapid.OneOf(rapid.Int64Range(1, 1000), rapid.Int64Range(1, maxTotal), rapid.Int64Range(maxTotal-5, maxTotal)).Draw(t, label)
	case "not positive":
		return rapid.OneOf(rapid.Int64Range(-5, 0), rapid.Int64Range(math.MinInt64, 0)).Draw(t, label)
	case "too large":
		return rapid.OneOf(rapid.Int64Range(maxTotal+1, maxTotal+5), rapid.Int64Range(maxTotal+1, math.MaxInt64)).Draw(t, label)
	}
	return edgeCents.Draw(t, label)
}

// A basket filled before the limits, its lines anything the old rules let
// through, is checked out only within them, for its exact total.
func oldBasketChecksOut(t *rapid.T, w *world, seen map[string]bool, aim string) {
	id := "basket " + aim
	drawn := drawLines(t, aim, id)
	events := []basketsc.BasketEvent{&basketsc.BasketStarted{CustomerID: "customer-1"}}
	var prices, quantities []int64
	v := verdict{}
	v.breaks("basket_has_too_many_products", len(drawn) > maxLines)
	for i, l := range drawn {
		price, q := l.price, max(l.quantity, 1) // the old rules never added less than one
		product := fmt.Sprintf("p%03d", i)
		events = append(events, &basketsc.BasketItemAdded{Item: basketsc.BasketItem{ProductID: product, StoreID: "store-1", StoreName: "Nic & Naks",
			ProductName: product, PriceCents: price, Quantity: q}})
		prices, quantities = append(prices, price), append(quantities, int64(q))
		v.breaks("product_price_negative", price < 0)
		v.breaks("product_price_too_large", price > maxPrice)
		v.breaks("item_quantity_too_large", int64(q) > maxQuantity)
	}
	total := exact(prices, quantities)
	v.breaks("basket_total_too_large", above(total, maxTotal))
	given(w, w.baskets, id, events...)

	checkout := &basketsc.CheckoutBasket{PaymentID: "payment-1"}
	checkout.AggregateID = id
	res, evs := execute(w, w.baskets, basketsc.BasketCommand(checkout))
	v.check(t, seen, fmt.Sprintf("checking out %d lines worth %s", len(drawn), total), res)
	if res.Accepted {
		seen["accepted"] = true
		if out := evs[0].(*basketsc.BasketCheckedOut); big.NewInt(out.TotalCents).Cmp(total) != 0 {
			t.Fatalf("checked out for %d, the exact total is %s", out.TotalCents, total)
		}
	}
	b := w.baskets.state(id)
	if shown := baskets.Total(baskets.Lines(&b)); shown < 0 && total.Sign() >= 0 {
		t.Fatalf("the basket of %s shows a total of %d", total, shown)
	}
}

// A CreateOrder from anyone: lines aimed at a limit, a total that is the
// exact sum or, aimed at "mismatch" (or "anything"), one off, the sum
// wrapped as 64-bit cents (issue 20), or anything.
func createOrder(t *rapid.T, w *world, seen map[string]bool, aim string) {
	id := "order " + aim
	var drawn []drawnLine
	if aim != "no lines" {
		lines := aim
		if aim == "mismatch" {
			lines = "none"
		}
		drawn = drawLines(t, lines, id)
	}
	c := &orderingc.CreateOrder{CustomerID: "customer-1", PaymentID: "payment-1"}
	c.AggregateID = id
	var prices, quantities []int64
	var wrapped int64
	v := verdict{}
	v.breaks("order_has_no_items", len(drawn) == 0)
	v.breaks("order_has_too_many_products", len(drawn) > maxLines)
	for i, l := range drawn {
		product := fmt.Sprintf("p%03d", i)
		c.Items = append(c.Items, orderingc.OrderItem{ProductID: product, StoreID: "store-1", StoreName: "Nic & Naks", ProductName: product,
			PriceCents: l.price, Quantity: l.quantity})
		prices, quantities = append(prices, l.price), append(quantities, int64(l.quantity))
		wrapped += l.price * int64(l.quantity) // unchecked, as before issue 20
		v.breaks("order_item_quantity_not_positive", l.quantity < 1)
		v.breaks("item_quantity_too_large", int64(l.quantity) > maxQuantity)
		v.breaks("product_price_negative", l.price < 0)
		v.breaks("product_price_too_large", l.price > maxPrice)
	}
	sum := exact(prices, quantities)
	c.TotalCents = wrapped // the exact sum when it fits
	if aim == "mismatch" || aim == "anything" {
		c.TotalCents = rapid.OneOf(
			rapid.Map(rapid.SampledFrom([]int64{-1, 1}), func(d int64) int64 { return wrapped + d }),
			rapid.Map(rapid.Int64(), func(d int64) int64 { return wrapped + d }),
			edgeCents,
		).Draw(t, id+" total")
	}
	v.breaks("order_total_too_large", above(sum, maxTotal))
	v.breaks("order_total_mismatch", big.NewInt(c.TotalCents).Cmp(sum) != 0)
	res, evs := execute(w, w.orders, orderingc.OrderCommand(c))
	v.check(t, seen, fmt.Sprintf("an order of %d lines worth %s claiming %d", len(drawn), sum, c.TotalCents), res)
	if res.Accepted {
		seen["accepted"] = true
		if out := evs[0].(*orderingc.OrderCreated); big.NewInt(out.TotalCents).Cmp(sum) != 0 {
			t.Fatalf("an order created for %d, its lines are worth %s", out.TotalCents, sum)
		}
	}
}

// A ConfirmPayment from anyone, for about the amount authorized or any
// amount, of an authorization asked for now or logged before the limits:
// confirmed only for 0 < amount ≤ the authorization and ≤ the largest
// total, and refused with the domain's one text.
func confirmPayment(t *rapid.T, w *world, seen map[string]bool, aim string, logged bool) {
	id := fmt.Sprintf("payment %s %v", aim, logged)
	authorized := amountAimed(t, aim, id+" authorized")
	exists := true
	if logged {
		given(w, w.payments, id, paymentsc.PaymentEvent(&paymentsc.PaymentAuthorized{CustomerID: "customer-1", AmountCents: authorized}))
	} else {
		auth := &paymentsc.AuthorizePayment{CustomerID: "customer-1", AmountCents: authorized}
		auth.AggregateID = id
		v := verdict{}
		v.amount("payment", authorized)
		res := w.send(auth)
		v.check(t, seen, fmt.Sprint("authorizing ", authorized), res)
		exists = res.Accepted
	}
	amount := rapid.OneOf(
		rapid.Map(rapid.Int64Range(-2, 2), func(d int64) int64 { return authorized + d }),
		rapid.Map(rapid.Int64Range(-2, 2), func(d int64) int64 { return authorized + d }),
		edgeCents,
	).Draw(t, id+" amount")
	confirm := &paymentsc.ConfirmPayment{OrderID: "order-1", AmountCents: amount}
	confirm.AggregateID = id
	v := verdict{}
	v.breaks("payment_not_found", !exists)
	if exists {
		v.amount("payment_confirmation", amount)
		v.breaks("payment_amount_exceeded", amount > authorized)
	}
	res := w.send(confirm)
	v.check(t, seen, fmt.Sprintf("confirming %d of %d authorized", amount, authorized), res)
	if res.Accepted {
		seen["accepted"] = true
	} else if res.Message != "payment cannot be confirmed" {
		t.Fatalf("ConfirmPayment refused with %q, want the domain's one text", res.Message)
	}
}

// A CreateInvoice from anyone, for any amount.
func createInvoice(t *rapid.T, w *world, seen map[string]bool, aim string) {
	id := "invoice " + aim
	amount := amountAimed(t, aim, id+" amount")
	c := &paymentsc.CreateInvoice{OrderID: id, PaymentID: "payment-1", AmountCents: amount}
	c.AggregateID = id
	v := verdict{}
	v.amount("invoice", amount)
	res := w.send(c)
	v.check(t, seen, fmt.Sprint("invoicing ", amount), res)
	if res.Accepted {
		seen["accepted"] = true
		if inv := w.invoices.state(id); inv.AmountCents != amount {
			t.Fatalf("an invoice of %d for %d asked", inv.AmountCents, amount)
		}
	}
}

// A CreateShoppingList from anyone: lines of a few products aimed at a
// limit; "sum above" repeats a product in lines that each hold at most
// 1,000 but add up past it.
func createShoppingList(t *rapid.T, w *world, seen map[string]bool, aim string, products int) {
	order := "order " + aim
	var items []depotc.ListItem
	switch aim {
	case "no lines":
	case "sum above":
		first := rapid.Int32Range(1, int32(maxQuantity)).Draw(t, order+" first")
		second := rapid.Int32Range(int32(maxQuantity)-first+1, int32(maxQuantity)).Draw(t, order+" second")
		items = []depotc.ListItem{{ProductID: "p0", StoreID: "store-1", Quantity: first}, {ProductID: "p0", StoreID: "store-1", Quantity: second}}
	default:
		lines := aim
		if aim == "none" {
			lines = "small"
		}
		for i, l := range drawLines(t, lines, order) {
			product := fmt.Sprint("p", rapid.IntRange(0, products-1).Draw(t, fmt.Sprint(order, " product ", i)))
			q := l.quantity
			if aim == "none" {
				q = min(q, 5) // at most 100 lines × 5 of a product
			}
			items = append(items, depotc.ListItem{ProductID: product, StoreID: "store-1", Quantity: q})
		}
	}
	c := &depotc.CreateShoppingList{OrderID: order, Items: items}
	c.AggregateID = saga.ShoppingListID(order)
	held := map[string]int64{}
	v := verdict{}
	v.breaks("shopping_list_items_invalid", len(items) == 0)
	v.breaks("shopping_list_has_too_many_items", len(items) > maxLines)
	for _, it := range items {
		v.breaks("shopping_list_items_invalid", it.Quantity < 1)
		if it.Quantity >= 1 {
			held[it.ProductID] += int64(it.Quantity) // the list adds up a product's lines
		}
		v.breaks("shopping_list_item_quantity_too_large", held[it.ProductID] > maxQuantity)
	}
	res := w.send(c)
	v.check(t, seen, fmt.Sprintf("a shopping list of %d lines", len(items)), res)
	if res.Accepted {
		seen["accepted"] = true
	}
}
