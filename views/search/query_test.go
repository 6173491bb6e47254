package search

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/views/warehouse"
)

func TestTheFirstPageOfEveryOrderReadsOnlyTheKeysBeforeTheRows(t *testing.T) {
	st := pageSQL(page{limit: 20}, nil)
	want := `SELECT order_id, customer_id, item_product_ids, item_product_names, item_store_ids, item_store_names, item_prices, item_quantities, total, status, created_at_ms, updated_at_ms, version
FROM mallbots.order_search FINAL
PREWHERE order_id IN (
    SELECT order_id
    FROM mallbots.order_search FINAL
    ORDER BY created_at_ms DESC, order_id DESC
    LIMIT ?
)
ORDER BY created_at_ms DESC, order_id DESC`
	if st.String() != want {
		t.Fatalf("SQL:\n%s\nwant:\n%s", st, want)
	}
	if !reflect.DeepEqual(st.args, []any{21}) {
		t.Fatalf("args %v, want the limit plus one", st.args)
	}
}

// What never changes after creation is filtered before FINAL (PREWHERE),
// the status after it (WHERE); every value is a bound argument.
func TestEveryFilterIsBoundAndTheStatusIsFilteredAfterFinal(t *testing.T) {
	p := page{Filter: Filter{
		CustomerID:    aCustomer,
		CreatedAfter:  time.UnixMilli(1000).Add(time.Microsecond), // rounded up
		CreatedBefore: time.UnixMilli(5000),
		StoreIDs:      []string{aStore, aCustomer},
		ProductIDs:    []string{aProduct},
		MinTotal:      money(1999), MaxTotal: money(5000),
		Status: "ready",
	}, limit: 50, after: &key{CreatedMs: 3000, OrderID: aProduct}}
	st := pageSQL(p, nil)
	inner := `    SELECT order_id
    FROM mallbots.order_search FINAL
    PREWHERE customer_key = ?
      AND created_at_ms > 0
      AND created_at_ms >= ?
      AND created_at_ms < ?
      AND hasAny(store_keys, ?)
      AND hasAny(product_keys, ?)
      AND total >= toDecimal64(?, 2)
      AND total <= toDecimal64(?, 2)
      AND (created_at_ms < ? OR (created_at_ms = ? AND order_id < ?))
    WHERE status = ?
    ORDER BY created_at_ms DESC, order_id DESC
    LIMIT ?`
	if !strings.Contains(st.String(), inner) {
		t.Fatalf("SQL:\n%s\nwant the inner select:\n%s", st, inner)
	}
	want := []any{warehouse.SearchKey(aCustomer), uint64(1001), uint64(5000),
		warehouse.SearchKeys([]string{aCustomer, aStore}), warehouse.SearchKeys([]string{aProduct}),
		"19.99", "50.00", uint64(3000), uint64(3000), aProduct, "ready", 51}
	if !reflect.DeepEqual(st.args, want) {
		t.Fatalf("args\n%#v\nwant\n%#v", st.args, want)
	}
	if n := strings.Count(st.String(), "?"); n != len(st.args) {
		t.Fatalf("%d placeholders for %d args", n, len(st.args))
	}
	for _, a := range st.args {
		if s, ok := a.(string); ok && strings.Contains(st.String(), s) {
			t.Fatalf("the value %q is in the SQL text", s)
		}
	}
}

// An exact page compares the ids themselves, for when two share a key.
func TestAnExactPageComparesTheIDs(t *testing.T) {
	st := pageSQL(page{Filter: Filter{CustomerID: aCustomer, StoreIDs: []string{aStore}, ProductIDs: []string{aProduct}}, limit: 1, exact: true}, nil)
	want := "    PREWHERE customer_id = ?\n      AND hasAny(store_ids, ?)\n      AND hasAny(product_ids, ?)\n"
	if !strings.Contains(st.String(), want) || !reflect.DeepEqual(st.args, []any{aCustomer, []string{aStore}, []string{aProduct}, 2}) {
		t.Fatalf("SQL:\n%s\nargs %v", st, st.args)
	}
}

func TestAnOrderIsReadByItsKeyWithItsCustomersName(t *testing.T) {
	st := orderSQL(aCustomer)
	want := "SELECT " + orderColumns + `,
    (SELECT any(name) FROM mallbots.customers PREWHERE id IN (SELECT customer_id FROM mallbots.order_search PREWHERE order_id = ?))
FROM mallbots.order_search FINAL
PREWHERE order_id = ?`
	if st.String() != want || !reflect.DeepEqual(st.args, []any{aCustomer, aCustomer}) {
		t.Fatalf("SQL:\n%s\nwant:\n%s\nargs %v", st, want, st.args)
	}
}

func TestNamesAreReadThroughTheCustomersKey(t *testing.T) {
	st := namesSQL([]string{aCustomer})
	if !strings.Contains(st.String(), "FROM mallbots.customers\nPREWHERE id IN (SELECT arrayJoin(?))") {
		t.Fatalf("SQL %s", st)
	}
}

func TestTimeBoundsRoundUpToTheMillisecond(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want uint64
	}{
		{time.UnixMilli(1500), 1500},
		{time.UnixMilli(1500).Add(time.Nanosecond), 1501},
		{time.UnixMilli(1500).Add(999 * time.Microsecond), 1501},
	} {
		if got, ok := boundMs(tc.t); !ok || got != tc.want {
			t.Errorf("boundMs(%s) = %d, want %d", tc.t.Format(time.RFC3339Nano), got, tc.want)
		}
	}
	if _, ok := boundMs(time.Time{}); ok {
		t.Error("the zero time is a bound")
	}
}

func TestDecimalText(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 999: "9.99", 100000: "1000.00", -1: "-0.01"} {
		if got := decimalText(cents); got != want {
			t.Errorf("decimalText(%d) = %s, want %s", cents, got, want)
		}
	}
}

// The probe reads the same candidates as the page, without FINAL.
func TestTheProbeCountsTheNewestCandidatesWithoutFinal(t *testing.T) {
	p := page{Filter: Filter{StoreIDs: []string{aStore}, Status: "ready"}, limit: 20, after: &key{CreatedMs: 9, OrderID: aProduct}}
	st := probeSQL(p, 1050)
	want := `SELECT count(), min(created_at_ms)
FROM (
    SELECT created_at_ms
    FROM mallbots.order_search
    PREWHERE hasAny(store_keys, ?)
      AND (created_at_ms < ? OR (created_at_ms = ? AND order_id < ?))
    ORDER BY created_at_ms DESC
    LIMIT ?
)`
	if st.String() != want {
		t.Fatalf("SQL:\n%s\nwant:\n%s", st, want)
	}
	if !reflect.DeepEqual(st.args, []any{warehouse.SearchKeys([]string{aStore}), uint64(9), uint64(9), aProduct, 1050}) {
		t.Fatalf("args %v", st.args)
	}
}

func TestAWindowIsOneMoreCandidateCondition(t *testing.T) {
	from := uint64(1234)
	st := pageSQL(page{Filter: Filter{Status: "ready"}, limit: 20}, &from)
	if !strings.Contains(st.String(), "    PREWHERE created_at_ms >= ?\n    WHERE status = ?\n") ||
		!reflect.DeepEqual(st.args, []any{uint64(1234), "ready", 21}) {
		t.Fatalf("SQL:\n%s\nargs %v", st, st.args)
	}
}
