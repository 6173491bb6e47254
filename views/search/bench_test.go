package search

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The benchmark (docs/benchmarks.md): a million orders, then the
// latency of search by id and of filtered searches, as percentiles:
//
//	go test ./views/search -run '^$' -bench BenchmarkSearch -benchtime 400x -timeout 30m
//
// Loading takes a few minutes; the figures never fail the benchmark.
var benchOrders = flag.Int("search.bench-orders", 1_000_000, "orders BenchmarkSearch generates and loads")

func BenchmarkSearch(b *testing.B) {
	l := load(b, *benchOrders, 7, slog.LevelWarn)
	// Printed, not logged: a parent benchmark's log is not shown.
	fmt.Printf("BenchmarkSearch: %d orders (%d table records, %d customers): produced in %s, projected in %s\n",
		len(l.orders), l.records, len(l.customers), l.produced.Round(time.Second), l.projected.Round(time.Second))
	l.settle(b)
	s := sample(l.mall, 100_000)
	q := l.q
	l.stopIngest()
	l = nil // the generated mall and the broker's records: gigabytes the GC would otherwise walk
	runtime.GC()

	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(from []string) string { return from[rng.IntN(len(from))] }
	week := 7 * 24 * time.Hour

	b.Run("ByID", func(b *testing.B) {
		timed(b, func() int {
			if _, err := q.Order(context.Background(), pick(s.orders)); err != nil {
				b.Fatal(err)
			}
			return 1
		})
	})
	for _, c := range []struct {
		name   string
		filter func() Filter
	}{
		{"Status", func() Filter { return Filter{Status: Statuses[rng.IntN(len(Statuses))]} }},
		{"NoFilter", func() Filter { return Filter{} }},
		{"Customer", func() Filter { return Filter{CustomerID: pick(s.customers)} }},
		{"StoreAndStatus", func() Filter { return Filter{StoreIDs: []string{pick(s.stores)}, Status: "completed"} }},
		{"TwoProducts", func() Filter { return Filter{ProductIDs: []string{pick(s.products), pick(s.products)}} }},
		{"WeekAndMinTotal", func() Filter {
			from := genEpoch.Add(time.Duration(rng.Int64N(int64(358 * 24 * time.Hour))))
			return Filter{CreatedAfter: from, CreatedBefore: from.Add(week), MinTotal: &s.medianTotal}
		}},
	} {
		b.Run("Filtered/"+c.name, func(b *testing.B) {
			timed(b, func() int {
				page, err := q.Search(context.Background(), Request{Filter: c.filter()})
				if err != nil {
					b.Fatal(err)
				}
				return len(page.Orders)
			})
		})
	}
	b.Run("Filtered/StatusNextPage", func(b *testing.B) {
		first, err := q.Search(context.Background(), Request{Filter: Filter{Status: "completed"}})
		if err != nil || first.Next == "" {
			b.Fatalf("first page: %v, next %q", err, first.Next)
		}
		timed(b, func() int {
			page, err := q.Search(context.Background(), Request{Filter: Filter{Status: "completed"}, Cursor: first.Next})
			if err != nil {
				b.Fatal(err)
			}
			return len(page.Orders)
		})
	})
}

// samples are what the benchmark searches for, drawn from the mall.
type samples struct {
	orders, customers, stores, products []string
	medianTotal                         int64
}

func sample(m *mall, n int) samples {
	rng := rand.New(rand.NewPCG(8, 9))
	var s samples
	for range n {
		o := &m.orders[rng.IntN(len(m.orders))]
		s.orders = append(s.orders, o.id)
		s.customers = append(s.customers, o.final.CustomerID)
	}
	s.stores = slices.Clone(m.stores)
	for _, p := range m.products {
		s.products = append(s.products, p.id)
	}
	totals := make([]int64, len(m.orders))
	for i, o := range m.orders {
		totals[i] = o.final.TotalCents
	}
	slices.Sort(totals)
	s.medianTotal = totals[len(totals)/2]
	return s
}

// timed runs op b.N times and reports the latency percentiles and the
// rows per op next to Go's mean.
func timed(b *testing.B, op func() (rows int)) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	rows := 0
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		rows += op()
		lat = append(lat, time.Since(began))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}

// settle waits (up to two minutes) for ClickHouse's background merges
// after the load to calm down, as they would under a steady flow, and logs
// the table's parts.
func (l *loaded) settle(b *testing.B) {
	b.Helper()
	var parts, prev uint64
	for deadline, stable := time.Now().Add(2*time.Minute), 0; time.Now().Before(deadline) && stable < 5; {
		if err := l.admin.QueryRow(context.Background(),
			"SELECT count() FROM system.parts WHERE database = 'mallbots' AND table = 'order_search' AND active").Scan(&parts); err != nil {
			b.Fatal(err)
		}
		if parts == prev {
			stable++
		} else {
			stable = 0
		}
		prev = parts
		time.Sleep(time.Second) // polling the server's merges, bounded by the deadline
	}
	var rows uint64
	if err := l.admin.QueryRow(context.Background(), "SELECT count() FROM mallbots.order_search").Scan(&rows); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("BenchmarkSearch: order_search has %d active parts, %d rows before FINAL\n", parts, rows)
}
