package limits

import (
	"math"
	"math/big"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/mallbots/mallbots/processors/aggregate"
)

// The limits as the ADR states them, in the API's units.
func TestTheLimitsAreTheADRs(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Amount(MaxPriceCents), "1,000,000.00"},
		{Count(int64(MaxLineQuantity)), "1,000"},
		{Count(MaxLines), "100"},
		{Amount(MaxTotalCents), "10,000,000.00"},
	} {
		if tc.got != tc.want {
			t.Errorf("limit %s, want %s", tc.got, tc.want)
		}
	}
	// A full basket at the largest price and quantity stays far inside
	// int64: the checks below are defence, not the limit.
	if worst, ok := Mul(MaxPriceCents*int64(MaxLineQuantity), MaxLines); !ok || worst > math.MaxInt64/1000 {
		t.Errorf("the largest basket the line limits allow, %d cents, is near int64's edge", worst)
	}
}

func TestTheSharedRejectionsSayTheLimit(t *testing.T) {
	for rej, want := range map[*aggregate.Rejection]string{
		ErrPriceNegative:        "the product price cannot be negative",
		ErrPriceTooLarge:        "the product price cannot exceed 1,000,000.00",
		ErrItemQuantityTooLarge: "the item quantity cannot exceed 1,000",
	} {
		if rej.Message != want || rej.Kind != aggregate.Invalid {
			t.Errorf("%s says %q (%s), want %q (400)", rej.Code, rej.Message, rej.Kind, want)
		}
	}
}

func TestCheckPriceAcceptsZeroToTheLimit(t *testing.T) {
	for cents, want := range map[int64]error{
		math.MinInt64: ErrPriceNegative, -1: ErrPriceNegative, 0: nil, 999: nil,
		MaxPriceCents: nil, MaxPriceCents + 1: ErrPriceTooLarge, math.MaxInt64: ErrPriceTooLarge,
	} {
		if got := CheckPrice(cents); got != want {
			t.Errorf("CheckPrice(%d) = %v, want %v", cents, got, want)
		}
	}
}

func TestAmountAndCountGroupThousands(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Amount(0), "0.00"},
		{Amount(5), "0.05"},
		{Amount(99999), "999.99"},
		{Amount(100000), "1,000.00"},
		{Amount(-4611686018427387903), "-46,116,860,184,273,879.03"},
		{Amount(math.MinInt64), "-92,233,720,368,547,758.08"},
		{Count(999), "999"},
		{Count(1000), "1,000"},
		{Count(-1234567), "-1,234,567"},
		{Count(math.MinInt64), "-9,223,372,036,854,775,808"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

// edgy draws int64s that are often near the edges of int64 and of the
// limits, where wrapping happens.
func edgy() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64(),
		rapid.Int64Range(-10_000, 10_000),
		rapid.SampledFrom([]int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64,
			math.MaxInt32, math.MaxInt64 / 2, 3037000499, 3037000500, -3037000500}),
	)
}

// Mul and Add agree with exact arithmetic: they return the exact result
// when it fits in int64 and say so when it does not.
func TestCheckedArithmeticIsExactOrRefuses(t *testing.T) {
	fits := func(r *big.Int) bool { return r.IsInt64() }
	rapid.Check(t, func(t *rapid.T) {
		a, b := edgy().Draw(t, "a"), edgy().Draw(t, "b")
		exact := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
		if got, ok := Mul(a, b); ok != fits(exact) || ok && got != exact.Int64() {
			t.Fatalf("Mul(%d, %d) = %d, %v; exact %s", a, b, got, ok, exact)
		}
		exact = new(big.Int).Add(big.NewInt(a), big.NewInt(b))
		if got, ok := Add(a, b); ok != fits(exact) || ok && got != exact.Int64() {
			t.Fatalf("Add(%d, %d) = %d, %v; exact %s", a, b, got, ok, exact)
		}
	})
}

func TestLineTotalOfTheIssuesBasketDoesNotWrap(t *testing.T) {
	// issue 20: 46,116,860,184,273,879.03 × 2,147,483,647 wrapped negative.
	if got, ok := LineTotal(4611686018427387903, math.MaxInt32); ok {
		t.Fatalf("LineTotal = %d, want refused", got)
	}
	if got, ok := LineTotal(MaxPriceCents, MaxLineQuantity); !ok || got != 100_000_000_000 {
		t.Fatalf("LineTotal at the limits = %d, %v", got, ok)
	}
}

// Sum agrees with exact arithmetic line by line: it returns the exact sum
// of price × quantity when every line and every running sum fits in int64,
// and refuses otherwise.
func TestSumIsExactOrRefuses(t *testing.T) {
	type line struct {
		price    int64
		quantity int32
	}
	rapid.Check(t, func(t *rapid.T) {
		lines := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) line {
			return line{edgy().Draw(t, "price"), rapid.Int32().Draw(t, "quantity")}
		}), 0, 4).Draw(t, "lines")
		exact, fits := new(big.Int), true
		for _, l := range lines {
			lt := new(big.Int).Mul(big.NewInt(l.price), big.NewInt(int64(l.quantity)))
			exact.Add(exact, lt)
			fits = fits && lt.IsInt64() && exact.IsInt64()
		}
		got, ok := Sum(lines, func(l line) (int64, int32) { return l.price, l.quantity })
		if ok != fits || ok && got != exact.Int64() {
			t.Fatalf("Sum(%v) = %d, %v; exact %s, fits %v", lines, got, ok, exact, fits)
		}
	})
}

// Units adds up the quantities of whatever holds the lines.
func TestUnits(t *testing.T) {
	qty := func(q int32) int32 { return q }
	if n := Units(slices.Values([]int32{2, 3, MaxLineQuantity}), qty); n != 1005 {
		t.Errorf("Units = %d, want 1005", n)
	}
	if n := Units(slices.Values([]int32(nil)), qty); n != 0 {
		t.Errorf("Units of no lines = %d, want 0", n)
	}
}
