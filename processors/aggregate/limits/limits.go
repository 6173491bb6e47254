// Package limits states how large money and quantities may grow on the
// money path (product → basket → order → payment → invoice) and does the
// checked arithmetic every rule on that path uses: a product of price and
// quantity, or a sum of lines, that leaves int64 is reported, never wrapped
// (docs/adr/0014).
//
// The limits are business rules, not wire limits: a rule refuses a command
// past them with an aggregate.Invalid rejection (aggregate.CannotExceed),
// which the API answers 400 {code, message}. The rejections that more than
// one context gives (a product's price, a line's quantity) are declared
// here once; each context names them in its own rejections. Every aggregate re-checks what
// it is given, because any Kafka client can produce a command.
package limits

import (
	"fmt"
	"iter"
	"math"

	"github.com/mallbots/mallbots/processors/aggregate"
)

// The limits, in minor units (cents) and units.
const (
	// MaxPriceCents is the largest price of a product: 1,000,000.00.
	MaxPriceCents int64 = 100_000_000
	// MaxLineQuantity is the largest quantity of one product in a basket,
	// an order or a shopping list: 1,000 units.
	MaxLineQuantity int32 = 1_000
	// MaxLines is the most distinct products a basket or an order holds.
	MaxLines = 100
	// MaxTotalCents is the largest total of a basket or an order, and so
	// the largest amount a payment authorizes or confirms and an invoice
	// asks for: 10,000,000.00.
	MaxTotalCents int64 = 1_000_000_000
)

// The rejections shared by the contexts that hold a product's price or a
// line's quantity (stores, baskets, ordering).
var (
	ErrPriceNegative        = aggregate.Reject(aggregate.Invalid, "product_price_negative", "the product price cannot be negative")
	ErrPriceTooLarge        = aggregate.CannotExceed("product price", Amount(MaxPriceCents))
	ErrItemQuantityTooLarge = aggregate.CannotExceed("item quantity", Count(int64(MaxLineQuantity)))
)

// CheckPrice refuses a price below zero or above MaxPriceCents.
func CheckPrice(cents int64) error {
	switch {
	case cents < 0:
		return ErrPriceNegative
	case cents > MaxPriceCents:
		return ErrPriceTooLarge
	}
	return nil
}

// Mul is a × b, and false when the product leaves int64.
func Mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || c/b != a {
		return 0, false
	}
	return c, true
}

// Add is a + b, and false when the sum leaves int64.
func Add(a, b int64) (int64, bool) {
	c := a + b
	if (a > 0 && b > 0 && c < 0) || (a < 0 && b < 0 && c >= 0) {
		return 0, false
	}
	return c, true
}

// LineTotal is price × quantity in cents, and false when it leaves int64.
func LineTotal(priceCents int64, quantity int32) (int64, bool) {
	return Mul(priceCents, int64(quantity))
}

// Sum is the sum of price × quantity over lines, in cents, and false when
// a line or the sum leaves int64. line gives a line's price in cents and
// its quantity, so that each context sums its own line type.
func Sum[L any](lines []L, line func(L) (priceCents int64, quantity int32)) (int64, bool) {
	var total int64
	for _, l := range lines {
		lt, ok := LineTotal(line(l))
		if !ok {
			return 0, false
		}
		if total, ok = Add(total, lt); !ok {
			return 0, false
		}
	}
	return total, true
}

// Units is the number of units over lines (the sum of their quantities),
// whatever holds them: a basket's map, an order's slice.
func Units[L any](lines iter.Seq[L], quantity func(L) int32) int64 {
	var n int64
	for l := range lines {
		n += int64(quantity(l))
	}
	return n
}

// Amount writes cents as the API's decimal with thousands separated, for
// the texts: 100000000 → "1,000,000.00".
func Amount(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", -u
	}
	return fmt.Sprintf("%s%s.%02d", sign, group(u/100), u%100)
}

// Count writes a number of units with thousands separated: 1000 → "1,000".
func Count(n int64) string {
	if n < 0 {
		return "-" + group(-uint64(n))
	}
	return group(uint64(n))
}

func group(u uint64) string {
	s := fmt.Sprint(u)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
