package loadgen

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Compare counts the run's orders by status in ClickHouse (mallbots.orders,
// FINAL) and prints them next to the summary's. It waits up to within for
// the projection to catch up and reports whether the counts are equal.
func Compare(ctx context.Context, w io.Writer, addr string, s Summary, within time.Duration) (bool, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, DialTimeout: 5 * time.Second})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	want := map[string]uint64{}
	ids := make([]string, 0, len(s.Orders))
	for id, status := range s.Orders {
		want[status]++
		ids = append(ids, id)
	}
	var got map[string]uint64
	deadline := time.Now().Add(within)
	for {
		got, err = countOrders(ctx, conn, ids)
		if err == nil && equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return false, fmt.Errorf("count orders in ClickHouse: %w", err)
	}
	statuses := map[string]bool{}
	for k := range want {
		statuses[k] = true
	}
	for k := range got {
		statuses[k] = true
	}
	var keys []string
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "\nOrders by status      summary  ClickHouse\n")
	for _, k := range keys {
		mark := ""
		if want[k] != got[k] {
			mark = "  ← differs"
		}
		fmt.Fprintf(w, "  %-18s %8d  %10d%s\n", k, want[k], got[k], mark)
	}
	return equal(got, want), nil
}

func countOrders(ctx context.Context, conn clickhouse.Conn, ids []string) (map[string]uint64, error) {
	rows, err := conn.Query(ctx, "SELECT status, count() FROM mallbots.orders FINAL WHERE has(?, id) GROUP BY status", ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var status string
		var n uint64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		out[status] = n
	}
	return out, rows.Err()
}

func equal(a, b map[string]uint64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}
