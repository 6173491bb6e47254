package search

import (
	"context"
	"flag"
	"log/slog"
	"math/rand/v2"
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
	b.Logf("%d orders (%d table records, %d customers): produced in %s, projected in %s",
		len(l.orders), l.records, len(l.customers), l.produced.Round(time.Second), l.projected.Round(time.Second))
	l.settle(b)
	rng := rand.New(rand.NewPCG(5, 6))
	anyOrder := func() *genOrder { return &l.orders[rng.IntN(len(l.orders))] }
	o := anyOrder()
	week := 7 * 24 * time.Hour

	b.Run("ByID", func(b *testing.B) {
		timed(b, func() int {
			if _, err := l.q.Order(context.Background(), anyOrder().id); err != nil {
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
		{"Customer", func() Filter { return Filter{CustomerID: anyOrder().final.CustomerID} }},
		{"StoreAndStatus", func() Filter {
			return Filter{StoreIDs: []string{l.stores[rng.IntN(len(l.stores))]}, Status: "completed"}
		}},
		{"TwoProducts", func() Filter {
			return Filter{ProductIDs: []string{l.products[rng.IntN(len(l.products))].id, l.products[rng.IntN(len(l.products))].id}}
		}},
		{"WeekAndMinTotal", func() Filter {
			from := genEpoch.Add(time.Duration(rng.Int64N(int64(358 * 24 * time.Hour))))
			return Filter{CreatedAfter: from, CreatedBefore: from.Add(week), MinTotal: &o.final.TotalCents}
		}},
	} {
		b.Run("Filtered/"+c.name, func(b *testing.B) {
			timed(b, func() int {
				page, err := l.q.Search(context.Background(), Request{Filter: c.filter()})
				if err != nil {
					b.Fatal(err)
				}
				return len(page.Orders)
			})
		})
	}
	b.Run("Filtered/StatusNextPage", func(b *testing.B) {
		first, err := l.q.Search(context.Background(), Request{Filter: Filter{Status: "completed"}})
		if err != nil || first.Next == "" {
			b.Fatalf("first page: %v, next %q", err, first.Next)
		}
		timed(b, func() int {
			page, err := l.q.Search(context.Background(), Request{Filter: Filter{Status: "completed"}, Cursor: first.Next})
			if err != nil {
				b.Fatal(err)
			}
			return len(page.Orders)
		})
	})
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
	b.Logf("order_search: %d active parts, %d rows before FINAL", parts, rows)
}
