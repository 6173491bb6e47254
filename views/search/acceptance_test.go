package search

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
)

// The acceptance runs this on 100,000 orders:
//
//	go test ./views/search -run TestSearch -search.orders=100000
//
// go test ./... generates 10,000, which takes a few seconds.
var acceptanceOrders = flag.Int("search.orders", 10_000, "orders the search acceptance test generates (the issue's acceptance: 100000)")

// searchCase is one search and the page size to walk it with.
type searchCase struct {
	name   string
	filter Filter
	limit  int
}

// cases are each filter alone and in combinations, with values taken from
// the generated mall so that they select something.
func cases(m *mall) []searchCase {
	first := &m.orders[0]
	o, _ := first.current()
	var known []uint64
	for _, g := range m.orders {
		if g.createdMs > 0 {
			known = append(known, g.createdMs)
		}
	}
	slices.Sort(known)
	at := func(q float64) time.Time { return time.UnixMilli(int64(known[int(q*float64(len(known)-1))])).UTC() }
	var totals []int64
	for _, g := range m.orders {
		totals = append(totals, g.final.TotalCents)
	}
	slices.Sort(totals)
	total := func(q float64) *int64 { t := totals[int(q*float64(len(totals)-1))]; return &t }
	storesOf := func(g *genOrder) []string {
		var ids []string
		for _, it := range g.final.Items {
			ids = append(ids, it.StoreID)
		}
		return ids
	}
	firstWindow := Filter{CreatedAfter: time.UnixMilli(int64(first.createdMs)).Add(-time.Hour), CreatedBefore: time.UnixMilli(int64(first.createdMs)).Add(time.Hour)}
	out := []searchCase{
		{"no filter", Filter{}, 0},
		{"customerId", Filter{CustomerID: o.CustomerID}, 3},
		{"createdAfter", Filter{CreatedAfter: at(0.9)}, 100},
		{"createdAfter between two milliseconds", Filter{CreatedAfter: at(0.9).Add(-500 * time.Microsecond)}, 100},
		{"createdBefore", Filter{CreatedBefore: at(0.1)}, 50},
		{"created window", Filter{CreatedAfter: at(0.4), CreatedBefore: at(0.45)}, 100},
		{"an empty window", Filter{CreatedAfter: at(0.5), CreatedBefore: at(0.5)}, 0},
		{"one store", Filter{StoreIDs: []string{m.stores[0]}}, 100},
		{"any of two stores", Filter{StoreIDs: []string{m.stores[1], m.stores[2]}}, 100},
		{"one product", Filter{ProductIDs: []string{o.Items[0].ProductID}}, 7},
		{"any of three products", Filter{ProductIDs: []string{m.products[3].id, m.products[500].id, m.products[999].id}}, 20},
		{"minTotal", Filter{MinTotal: total(0.95)}, 100},
		{"maxTotal", Filter{MaxTotal: total(0.05)}, 100},
		{"total range", Filter{MinTotal: total(0.50), MaxTotal: total(0.51)}, 100},
		{"customer and status", Filter{CustomerID: o.CustomerID, Status: o.Status}, 1},
		{"store and product", Filter{StoreIDs: storesOf(first), ProductIDs: []string{o.Items[0].ProductID}}, 10},
		{"store, window and status", Filter{StoreIDs: []string{m.stores[3]}, CreatedAfter: at(0.2), CreatedBefore: at(0.6), Status: "completed"}, 100},
		{"product and minTotal", Filter{ProductIDs: []string{m.products[10].id}, MinTotal: total(0.5)}, 5},
		{"window, totals and status", Filter{CreatedAfter: at(0.1), CreatedBefore: at(0.9), MinTotal: total(0.3), MaxTotal: total(0.7), Status: "ready"}, 100},
		{"every filter", Filter{CustomerID: o.CustomerID, CreatedAfter: firstWindow.CreatedAfter, CreatedBefore: firstWindow.CreatedBefore,
			StoreIDs: storesOf(first), ProductIDs: []string{o.Items[0].ProductID}, MinTotal: &o.TotalCents, MaxTotal: &o.TotalCents, Status: o.Status}, 0},
	}
	for _, s := range Statuses {
		out = append(out, searchCase{"status " + s, Filter{Status: s}, 100})
	}
	return out
}

func TestSearchReturnsWhatABruteForceFilterOverTheStreamReturns(t *testing.T) {
	l := load(t, *acceptanceOrders, 4, slog.LevelInfo)
	t.Logf("%d orders (%d table records, %d customers): produced in %s, projected in %s",
		len(l.orders), l.records, len(l.customers), l.produced.Round(time.Millisecond), l.projected.Round(time.Millisecond))
	ctx := context.Background()

	t.Run("the table has the columns Go declares", func(t *testing.T) {
		got := chtest.Columns(t, l.admin, warehouse.OrderSearchTable.Name)
		if !slices.Equal(got, warehouse.OrderSearchTable.Columns) {
			t.Fatalf("mallbots.order_search has %v, Go declares %v", got, warehouse.OrderSearchTable.Columns)
		}
	})

	t.Run("one current row per order", func(t *testing.T) {
		var rows, distinct uint64
		if err := l.admin.QueryRow(ctx, "SELECT count(), uniqExact(order_id) FROM mallbots.order_search FINAL").Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows != uint64(len(l.orders)) || distinct != rows {
			t.Fatalf("FINAL has %d rows for %d orders (%d distinct); want one per order", rows, len(l.orders), distinct)
		}
	})

	t.Run("by id, redelivered and replayed versions included", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 200 {
			g := &l.orders[rng.IntN(len(l.orders))]
			got, err := l.q.Order(ctx, g.id)
			if err != nil {
				t.Fatal(err)
			}
			if want := l.want(g); !reflect.DeepEqual(got, want) {
				t.Fatalf("order %s:\n got %+v\nwant %+v", g.id, got, want)
			}
		}
		if _, err := l.q.Order(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("an unknown id: %v, want ErrNotFound", err)
		}
	})

	// Narrow windows: every search that has many candidates goes through
	// the wider windows and, when they fall short, the search without one.
	narrow := *l
	narrow.q = &Querier{conn: l.q.conn, windowRows: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases(l.mall) {
		t.Run(c.name, func(t *testing.T) {
			want := l.expected(c.filter)
			if c.name != "an empty window" && len(want) == 0 {
				t.Fatal("the case selects nothing: pick other values")
			}
			t.Logf("%d orders match", len(want))
			for _, l := range []*loaded{l, &narrow} {
				walk(t, l, c, want)
				resume(t, l, c, want, rng)
			}
		})
	}
}

// walk pages from the start, at most 8 pages, comparing every page with
// the brute force; the first page in full, the others by id.
func walk(t *testing.T, l *loaded, c searchCase, want []*genOrder) {
	t.Helper()
	size := cmpOr(c.limit, DefaultLimit)
	r := Request{Filter: c.filter, Limit: c.limit}
	for pos, n := 0, 0; n < 8; n++ {
		page, err := l.q.Search(context.Background(), r)
		if err != nil {
			t.Fatalf("page %d: %v", n+1, err)
		}
		end := min(pos+size, len(want))
		comparePage(t, fmt.Sprintf("page %d", n+1), page, want[pos:end], end < len(want))
		if n == 0 {
			for i, o := range page.Orders {
				if w := l.want(want[i]); !reflect.DeepEqual(o, w) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i, o, w)
				}
			}
		}
		if page.Next == "" {
			return
		}
		pos, r.Cursor = end, page.Next
	}
}

// resume checks pages that start deep in the results (a cursor after a
// random row, and the last page), where walking would take too long.
func resume(t *testing.T, l *loaded, c searchCase, want []*genOrder, rng *rand.Rand) {
	t.Helper()
	size := cmpOr(c.limit, DefaultLimit)
	if len(want) <= 8*size {
		return // walk saw it all
	}
	fp := c.filter.fingerprint()
	starts := []int{rng.IntN(len(want) - 1), rng.IntN(len(want) - 1), len(want) - 1 - size}
	for _, j := range starts {
		g := want[j]
		r := Request{Filter: c.filter, Limit: c.limit, Cursor: encodeCursor(key{CreatedMs: g.createdMs, OrderID: g.id}, fp)}
		page, err := l.q.Search(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		end := min(j+1+size, len(want))
		comparePage(t, fmt.Sprintf("the page after row %d", j), page, want[j+1:end], end < len(want))
	}
}

func comparePage(t *testing.T, what string, got Page, want []*genOrder, more bool) {
	t.Helper()
	ids := make([]string, len(got.Orders))
	for i, o := range got.Orders {
		ids[i] = o.ID
	}
	wantIDs := make([]string, len(want))
	for i, g := range want {
		wantIDs[i] = g.id
	}
	if !slices.Equal(ids, wantIDs) {
		i := 0
		for i < min(len(ids), len(wantIDs)) && ids[i] == wantIDs[i] {
			i++
		}
		t.Fatalf("%s: got %d orders, want %d; they differ from row %d on: got %v, want %v",
			what, len(ids), len(wantIDs), i, ids[i:min(i+3, len(ids))], wantIDs[i:min(i+3, len(wantIDs))])
	}
	if (got.Next != "") != more {
		t.Fatalf("%s: next %q, want a next page: %v", what, got.Next, more)
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
