package moneypath

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/schemas"
	basketsc "github.com/mallbots/mallbots/schemas/baskets"
	customersc "github.com/mallbots/mallbots/schemas/customers"
	depotc "github.com/mallbots/mallbots/schemas/depot"
	orderingc "github.com/mallbots/mallbots/schemas/ordering"
	paymentsc "github.com/mallbots/mallbots/schemas/payments"
	storesc "github.com/mallbots/mallbots/schemas/stores"
)

const (
	maxPrice    = limits.MaxPriceCents
	maxQuantity = int64(limits.MaxLineQuantity)
	maxLines    = limits.MaxLines
	maxTotal    = limits.MaxTotalCents
	// issuePrice is the price issue 20 added a product at:
	// 46,116,860,184,273,879.03, the largest the API's Money took.
	issuePrice = 4_611_686_018_427_387_903
)

// verdict is the set of codes of the rules an input breaks, worked out by
// the test on its own from the limits and exact (big.Int) arithmetic. An
// input that breaks none must be accepted; one that breaks some must be
// refused with one of their codes.
type verdict map[string]bool

func (v verdict) breaks(code string, broken bool) {
	if broken {
		v[code] = true
	}
}

// amount holds an amount of money to the bound every amount the rules take
// is held to: above 0, at most the largest total. what names the amount in
// the codes ("payment", "invoice", "payment_confirmation").
func (v verdict) amount(what string, cents int64) {
	v.breaks(what+"_amount_not_positive", cents <= 0)
	v.breaks(what+"_amount_too_large", cents > maxTotal)
}

func (v verdict) check(t fataler, seen map[string]bool, what string, res schemas.CommandResult) {
	t.Helper()
	switch {
	case len(v) == 0 && !res.Accepted:
		t.Fatalf("%s was refused with %s (%q), but breaks no rule", what, res.Code, res.Message)
	case len(v) > 0 && res.Accepted:
		t.Fatalf("%s was accepted, but breaks %v", what, slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		}))
	case len(v) > 0 && !v[res.Code]:
		t.Fatalf("%s was refused with %s (%q), want one of %v", what, res.Code, res.Message, v)
	}
	if !res.Accepted {
		seen[res.Code] = true
	}
}

// exact is price × quantity summed over lines without any limit.
func exact(prices []int64, quantities []int64) *big.Int {
	sum := new(big.Int)
	for i := range prices {
		sum.Add(sum, new(big.Int).Mul(big.NewInt(prices[i]), big.NewInt(quantities[i])))
	}
	return sum
}

func above(v *big.Int, limit int64) bool { return v.Cmp(big.NewInt(limit)) > 0 }

// Amounts and quantities at and around the limits, the edges of int64 and
// int32, and anywhere between.
var (
	edgeCents = rapid.OneOf(
		rapid.SampledFrom([]int64{math.MinInt64, -issuePrice, -1, 0, 1, 999, maxPrice - 1, maxPrice, maxPrice + 1,
			maxTotal - 1, maxTotal, maxTotal + 1, issuePrice, math.MaxInt64}),
		rapid.Int64Range(-1000, 1000),
		rapid.Int64Range(0, maxPrice+1000),
		rapid.Int64Range(0, maxTotal+1000),
		rapid.Int64(),
	)
	edgeQuantity = rapid.OneOf(
		rapid.SampledFrom([]int32{math.MinInt32, -1, 0, 1, 50, 999, 1000, 1001, math.MaxInt32}),
		rapid.Int32Range(-3, 12),
		rapid.Int32Range(990, 1010),
		rapid.Int32(),
	)
)

// The mall a run shops in: cheap (more products than a basket may hold,
// at a few cents, to fill its lines), dear (a few products near the
// largest price, to reach the largest total), free (a few products at
// 0.00, for an order of nothing) or edgy (prices anywhere, past the limits
// and int64's edges).
var malls = []string{"cheap", "dear", "free", "edgy"}

func priceIn(mall string) *rapid.Generator[int64] {
	switch mall {
	case "cheap":
		return rapid.Int64Range(0, 500)
	case "free":
		return rapid.Just[int64](0)
	case "dear":
		return rapid.OneOf(rapid.Int64Range(maxPrice-1000, maxPrice), rapid.Int64Range(maxPrice/10, maxPrice))
	}
	// Past what the API's Money holds, too (its whole part is at most
	// 2^62/100).
	return rapid.OneOf(edgeCents, rapid.Int64Range(math.MaxInt64/2, math.MaxInt64), rapid.Int64Range(math.MinInt64, math.MinInt64/2))
}

func setUp(w *world) {
	w.t.Helper()
	reg := &customersc.RegisterCustomer{Name: "John Smith", SMSNumber: "+15550100"}
	reg.AggregateID = "customer-1"
	store := &storesc.CreateStore{Name: "Nic & Naks", Location: "Level 2"}
	store.AggregateID = "store-1"
	for _, cmd := range []schemas.Command{reg, store} {
		if res := w.send(cmd); !res.Accepted {
			w.t.Fatalf("%T refused: %s", cmd, res.Message)
		}
	}
}

// addProducts adds n products priced from the mall's prices, each written
// as the API's JSON reads it, and returns the prices of those the API and
// the product's rules took.
func addProducts(t *rapid.T, w *world, seen map[string]bool, n int, prices *rapid.Generator[int64]) map[string]int64 {
	taken := map[string]int64{}
	for i := range n {
		id := fmt.Sprintf("p%03d", i)
		written := decimal(prices.Draw(t, "price "+id), rapid.IntRange(0, 2).Draw(t, "places "+id))
		cents, ok := money(t, written)
		if !ok {
			// The API answers 400 before any command: only an amount
			// whose whole part leaves Money's range may be refused.
			if whole, _ := new(big.Rat).SetString(written); new(big.Rat).Abs(whole).Cmp(big.NewRat(1<<62/100+1, 1)) < 0 {
				t.Fatalf("the API refused the amount %s", written)
			}
			seen["api_amount_out_of_range"] = true
			continue
		}
		add := &storesc.AddProduct{StoreID: "store-1", Name: id, SKU: id, PriceCents: cents}
		add.AggregateID = id
		v := verdict{}
		v.breaks("product_price_negative", cents < 0)
		v.breaks("product_price_too_large", cents > maxPrice)
		res := w.send(add)
		v.check(t, seen, "a product priced "+written, res)
		if res.Accepted {
			taken[id] = cents
		}
	}
	return taken
}

// basketModel is what the basket should hold, kept by the test.
type basketModel struct {
	price    map[string]int64
	quantity map[string]int64
}

func (m basketModel) total() *big.Int {
	var prices, quantities []int64
	for id, q := range m.quantity {
		prices, quantities = append(prices, m.price[id]), append(quantities, q)
	}
	return exact(prices, quantities)
}

// The whole money path, as the processors run it: the API reads prices
// and an authorization as JSON; products are added, a basket is filled
// and emptied by AddItem and RemoveItem, the payment is authorized, the
// basket checked out; the policy creates the order, the saga confirms the
// payment for the order's total, the bots shop, the order is readied and
// invoiced. Whatever is drawn, up to and past every limit:
//   - every refusal names a limit (or rule) the input breaks, and an input
//     that breaks none is accepted;
//   - the basket's total is always the exact sum of price × quantity, and
//     within 0 … 10,000,000.00, as are the checked-out basket and the order;
//   - a payment is confirmed only for 0 < the order's total ≤ its
//     authorization, and then the order is approved; otherwise it is
//     rejected with the payment's text;
//   - the invoice asks for exactly its order's total.
func TestTheMoneyPathNeverWrapsAndNeverPaysMoreThanAuthorized(t *testing.T) {
	seen := map[string]bool{}
	rapid.Check(t, func(t *rapid.T) {
		w := newWorld(t)
		setUp(w)
		mall := rapid.SampledFrom(malls).Draw(t, "mall")
		var n int
		switch mall {
		case "cheap":
			n = rapid.IntRange(maxLines+10, maxLines+20).Draw(t, "products")
		case "free":
			n = rapid.IntRange(1, 3).Draw(t, "products")
		default:
			n = rapid.IntRange(1, 12).Draw(t, "products")
		}
		taken := addProducts(t, w, seen, n, priceIn(mall))

		start := &basketsc.StartBasket{CustomerID: "customer-1"}
		start.AggregateID = "basket-1"
		if res := w.send(start); !res.Accepted {
			t.Fatalf("StartBasket refused: %s", res.Message)
		}
		m := basketModel{price: map[string]int64{}, quantity: map[string]int64{}}
		ops := rapid.IntRange(1, 30).Draw(t, "operations")
		quantities := edgeQuantity
		pick := rapid.IntRange(0, n) // n: a product the mall does not sell
		removes := 2                 // in 10
		if mall == "cheap" {
			// Enough adds, mostly of a few units, going round the
			// products, to fill a basket's lines.
			ops = rapid.IntRange(2*n, 3*n).Draw(t, "operations")
			removes = 0
			few := rapid.Int32Range(1, 5)
			quantities = rapid.OneOf(few, few, few, few, few, few, few, edgeQuantity)
		}
		for i := range ops {
			var idx int
			if mall == "cheap" {
				idx = i % (n + 1)
			} else {
				idx = pick.Draw(t, fmt.Sprint("product ", i))
			}
			id := fmt.Sprintf("p%03d", idx)
			q := quantities.Draw(t, fmt.Sprint("quantity ", i))
			if rapid.IntRange(0, 9).Draw(t, fmt.Sprint("remove ", i)) >= removes {
				addItem(t, w, seen, m, taken, id, q)
			} else {
				removeItem(t, w, seen, m, id, q)
			}
			b := w.baskets.state("basket-1")
			lines := baskets.Lines(&b)
			sum, ok := baskets.Sum(lines)
			if want := m.total(); !ok || big.NewInt(sum).Cmp(want) != 0 || above(want, maxTotal) || want.Sign() < 0 {
				t.Fatalf("the basket's total is %d (%v), the exact sum of its lines %s", sum, ok, want)
			}
			if len(lines) != len(m.quantity) || len(lines) > maxLines {
				t.Fatalf("the basket holds %d lines, want %d", len(lines), len(m.quantity))
			}
			for _, l := range lines {
				if int64(l.Quantity) != m.quantity[l.ProductID] || l.PriceCents != m.price[l.ProductID] {
					t.Fatalf("line %+v, want %d at %d", l, m.quantity[l.ProductID], m.price[l.ProductID])
				}
			}
		}
		total := m.total()

		// The customer authorizes a payment, written as the API reads it.
		authorized, hasPayment := int64(0), false
		amount := rapid.OneOf(
			rapid.Map(rapid.Int64Range(-2, 2), func(d int64) int64 { return total.Int64() + d }),
			rapid.SampledFrom([]int64{-1, 0, 1, maxTotal, maxTotal + 1}),
			rapid.Int64Range(maxTotal-10, maxTotal+10),
			edgeCents,
		).Draw(t, "authorization")
		written := decimal(amount, rapid.IntRange(0, 2).Draw(t, "authorization places"))
		if cents, ok := money(t, written); ok {
			auth := &paymentsc.AuthorizePayment{CustomerID: "customer-1", AmountCents: cents}
			auth.AggregateID = "payment-1"
			v := verdict{}
			v.amount("payment", cents)
			res := w.send(auth)
			v.check(t, seen, "an authorization of "+written, res)
			authorized, hasPayment = cents, res.Accepted
		}

		mark := len(w.log)
		checkout := &basketsc.CheckoutBasket{PaymentID: "payment-1"}
		checkout.AggregateID = "basket-1"
		v := verdict{}
		v.breaks("basket_has_no_items", len(m.quantity) == 0)
		res := w.send(checkout)
		v.check(t, seen, "the checkout", res)
		if !res.Accepted {
			return
		}
		w.react(mark) // CreateOrder, and the saga on OrderCreated

		order := w.orders.state("basket-1")
		if order.ID == "" || big.NewInt(order.TotalCents).Cmp(total) != 0 {
			t.Fatalf("the order %+v, want one for the basket's exact total %s", order, total)
		}
		pays := hasPayment && order.TotalCents > 0 && order.TotalCents <= authorized
		switch {
		case pays && order.Status != ordering.StatusApproved:
			t.Fatalf("an order of %d within an authorization of %d is %s (%s)", order.TotalCents, authorized, order.Status, order.RejectionReason)
		case !pays && (order.Status != ordering.StatusRejected || order.RejectionReason != "payment cannot be confirmed"):
			t.Fatalf("an order of %d, authorized %d (%v), is %s (%q), want rejected: payment cannot be confirmed",
				order.TotalCents, authorized, hasPayment, order.Status, order.RejectionReason)
		case !pays:
			seen["order rejected"] = true
			if order.TotalCents == 0 {
				seen["a free order rejected"] = true
			}
		default:
			seen["order approved"] = true
			// The bots shop; the policies ready the order and invoice it.
			list := saga.ShoppingListID(order.ID)
			mark = len(w.log)
			assign := &depotc.AssignShoppingList{BotID: "bot-1"}
			assign.AggregateID = list
			complete := &depotc.CompleteShoppingList{}
			complete.AggregateID = list
			for _, cmd := range []schemas.Command{assign, complete} {
				if res := w.send(cmd); !res.Accepted {
					t.Fatalf("%T refused: %s", cmd, res.Message)
				}
			}
			w.react(mark)
			invoice := w.invoices.state(order.ID)
			if invoice.AmountCents != order.TotalCents || w.orders.state(order.ID).Status != ordering.StatusReady {
				t.Fatalf("the invoice %+v of the order %+v, want its total", invoice, w.orders.state(order.ID))
			}
		}
		checkTheLog(t, w)
	})
	reached(t, seen, "product_price_negative", "product_price_too_large", "api_amount_out_of_range",
		"item_quantity_negative", "item_quantity_too_large", "basket_has_too_many_products", "basket_total_too_large", "product_not_located",
		"payment_amount_not_positive", "payment_amount_too_large", "order approved", "order rejected", "a free order rejected")
}

func addItem(t *rapid.T, w *world, seen map[string]bool, m basketModel, taken map[string]int64, id string, q int32) {
	add := &basketsc.AddItem{ProductID: id, Quantity: q}
	add.AggregateID = "basket-1"
	price, sold := taken[id]
	held, inBasket := m.quantity[id]
	v := verdict{}
	v.breaks("item_quantity_negative", q < 0)
	v.breaks("product_not_located", !sold)
	if sold && q > 0 {
		v.breaks("item_quantity_too_large", held+int64(q) > maxQuantity)
		v.breaks("basket_has_too_many_products", !inBasket && len(m.quantity) >= maxLines)
		after := new(big.Int).Add(m.total(), new(big.Int).Mul(big.NewInt(price), big.NewInt(int64(q))))
		v.breaks("basket_total_too_large", above(after, maxTotal))
	}
	res := w.send(add)
	v.check(t, seen, fmt.Sprintf("adding %d of %s (held %d)", q, id, held), res)
	if res.Accepted && q > 0 {
		m.price[id] = price
		m.quantity[id] = held + int64(q)
	}
}

func removeItem(t *rapid.T, w *world, seen map[string]bool, m basketModel, id string, q int32) {
	remove := &basketsc.RemoveItem{ProductID: id, Quantity: q}
	remove.AggregateID = "basket-1"
	v := verdict{}
	v.breaks("item_quantity_negative", q < 0)
	res := w.send(remove)
	v.check(t, seen, fmt.Sprintf("removing %d of %s", q, id), res)
	if held, ok := m.quantity[id]; ok && res.Accepted && q > 0 {
		if m.quantity[id] = held - min(int64(q), held); m.quantity[id] == 0 {
			delete(m.quantity, id)
			delete(m.price, id)
		}
	}
}

// checkTheLog reads the whole event log for what issue 20 found there: a
// negative or wrapped amount, a payment confirmed for more than its
// authorization, an invoice that is not its order's total, a shopping
// list past the limits. An order the log does not hold (a command sent
// straight to a payment or an invoice) has no total to compare with.
func checkTheLog(t fataler, w *world) {
	t.Helper()
	authorized := map[string]int64{}
	totals := map[string]int64{}
	inRange := func(what string, cents int64) {
		if cents < 0 || cents > maxTotal {
			t.Fatalf("%s of %d cents is outside 0 … %d", what, cents, maxTotal)
		}
	}
	isNotTotal := func(order string, cents int64) bool {
		total, ok := totals[order]
		return ok && cents != total
	}
	for _, ev := range w.log {
		switch e := ev.(type) {
		case *basketsc.BasketCheckedOut:
			inRange("a checked-out basket", e.TotalCents)
		case *orderingc.OrderCreated:
			inRange("an order", e.TotalCents)
			totals[e.AggregateID] = e.TotalCents
		case *paymentsc.PaymentAuthorized:
			authorized[e.AggregateID] = e.AmountCents
		case *paymentsc.PaymentConfirmed:
			if e.AmountCents <= 0 || e.AmountCents > authorized[e.AggregateID] || isNotTotal(e.OrderID, e.AmountCents) {
				t.Fatalf("a payment confirmed for %d, authorized %d, for an order of %d", e.AmountCents, authorized[e.AggregateID], totals[e.OrderID])
			}
		case *orderingc.OrderReadied:
			if isNotTotal(e.AggregateID, e.TotalCents) {
				t.Fatalf("an order readied for %d, created for %d", e.TotalCents, totals[e.AggregateID])
			}
		case *paymentsc.InvoiceCreated:
			if e.AmountCents <= 0 || isNotTotal(e.OrderID, e.AmountCents) {
				t.Fatalf("an invoice of %d for an order of %d", e.AmountCents, totals[e.OrderID])
			}
			inRange("an invoice", e.AmountCents)
		case *depotc.ShoppingListCreated:
			for _, stop := range e.Stops {
				for id, it := range stop.Items {
					if it.Quantity < 1 || int64(it.Quantity) > maxQuantity {
						t.Fatalf("a shopping list for %d of %s", it.Quantity, id)
					}
				}
			}
		}
	}
}
