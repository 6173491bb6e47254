package system_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/mallbots/mallbots/topics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/views/analytics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
)

// analystConn connects as the read-only analyst user.
func analystConn(t *testing.T) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{sys.ClickHouseAddr()}, Auth: clickhouse.Auth{Username: chserver.AnalystUser}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readHistory reads the event topics and the notifications from Kafka.
func readHistory(t *testing.T) *analytics.History {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, _, err := analytics.ReadHistory(ctx, kafkaAs(t, topics.RoleAdmin), sys.Serde())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// paramsFor picks cookbook parameters in the middle of the load run: the
// order with the most events, at the second after it was approved, and its
// basket; the product with the most events.
func paramsFor(t *testing.T, h *analytics.History) analytics.Params {
	t.Helper()
	count, products := map[string]int{}, map[string]int{}
	approved := map[string]time.Time{}
	for _, e := range h.Events {
		if e.Aggregate == "product" {
			products[e.Meta().AggregateID]++
		}
		if e.Aggregate != "order" {
			continue
		}
		count[e.Meta().AggregateID]++
		if _, ok := e.Event.(*ordering.OrderApproved); ok {
			approved[e.Meta().AggregateID] = e.Meta().OccurredAt
		}
	}
	var best string
	for id, n := range count {
		if _, ok := approved[id]; ok && (best == "" || n > count[best] || n == count[best] && id < best) {
			best = id
		}
	}
	if best == "" {
		t.Fatal("no approved order in the log")
	}
	var product string
	for id, n := range products {
		if product == "" || n > products[product] || n == products[product] && id < product {
			product = id
		}
	}
	return analytics.Params{
		"instant": approved[best].Truncate(time.Second).Add(time.Second), "basket_id": best, "type": "order", "id": best,
		"product_id": product,
	}
}

// runCookbook runs every query and compares it with its Go figure; it
// returns the differences and the results.
func runCookbook(t *testing.T, conn clickhouse.Conn, h *analytics.History, p analytics.Params) (diffs []string, results map[string][][]string) {
	t.Helper()
	path, err := analytics.FindCookbook()
	if err != nil {
		t.Fatal(err)
	}
	queries, err := analytics.LoadCookbook(path)
	if err != nil {
		t.Fatal(err)
	}
	results = map[string][][]string{}
	for _, q := range queries {
		sql, err := q.Bind(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := analytics.Run(context.Background(), conn, sql)
		if err != nil {
			t.Fatalf("%s: %v\n%s", q.Name, err, sql)
		}
		want, err := analytics.Expected(q.Name, h, p)
		if err != nil {
			t.Fatal(err)
		}
		g, err := analytics.Normalize(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := analytics.Normalize(want)
		if err != nil {
			t.Fatal(err)
		}
		if d := analytics.Diff(w, g); d != "" {
			diffs = append(diffs, q.Name+":\n"+d)
		}
		results[q.Name] = g
	}
	return diffs, results
}

// projectionsCaughtUp waits until every projection has committed every
// record present now.
func projectionsCaughtUp(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		lagging := projectionLags(t)
		if len(lagging) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections still behind after %s: %v", within, lagging)
		}
		time.Sleep(200 * time.Millisecond) // polling interval
	}
}

// projectionLags names the projections with records not yet in ClickHouse.
func projectionLags(t *testing.T) []string {
	t.Helper()
	var lagging []string
	for _, p := range projections.All(sys.Serde()) {
		lags, err := warehouse.MeasureLag(context.Background(), kafkaAs(t, topics.RoleAdmin), p.Group, p.Topics, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lags {
			if l.Events > 0 {
				lagging = append(lagging, fmt.Sprintf("%s: %d events of %s", p.Name, l.Events, l.Topic))
			}
		}
	}
	return lagging
}

// Every query of the analyst cookbook, run as the analyst on the mall after
// a load run, returns the figure that Go computes from the event topics.
// The comparison is repeated until the log stands still: an order of
// another test may still be moving.
func TestTheCookbookAgreesWithTheEventLog(t *testing.T) {
	loadedMall(t)
	conn := analystConn(t)
	deadline := time.Now().Add(90 * time.Second)
	for attempt := 1; ; attempt++ {
		h := readHistory(t)
		projectionsCaughtUp(t, time.Minute)
		p := paramsFor(t, h)
		diffs, results := runCookbook(t, conn, h, p)
		if len(diffs) == 0 {
			var sizes []string
			for _, name := range analytics.Figures() {
				if len(results[name]) == 0 && !analytics.EmptyOnAnHonestLog(name) {
					t.Errorf("%s returned no rows on the load run: the comparison compared nothing", name)
				}
				sizes = append(sizes, fmt.Sprintf("%s %d", name, len(results[name])))
			}
			t.Logf("%d events, %d notifications; rows per query: %s", len(h.Events), len(h.Notifications), strings.Join(sizes, ", "))
			t.Logf("basket funnel %v; rejection reasons %v", results["basket_funnel"], results["saga_rejection_reasons"])
			for _, row := range results["order_lifecycle_durations"] {
				t.Logf("lifecycle %v", row)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d attempts the cookbook and the log still differ:\n%s", attempt, strings.Join(diffs, "\n"))
		}
		t.Logf("attempt %d: %d queries differ (the log may still be moving); again", attempt, len(diffs))
	}
}

// The analyst reads every table of the warehouse and can change none.
func TestTheAnalystCanReadTheWarehouseButNotChangeIt(t *testing.T) {
	conn := analystConn(t)
	ctx := context.Background()
	var n uint64
	if err := conn.QueryRow(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": 10})),
		"SELECT count() FROM mallbots.events FINAL").Scan(&n); err != nil {
		t.Fatalf("the analyst cannot read events: %v", err)
	}
	for _, sql := range []string{
		"ALTER TABLE mallbots.order_lines ADD COLUMN note String",
		"ALTER TABLE mallbots.events DELETE WHERE 1",
		"DROP TABLE mallbots.order_milestones",
		"TRUNCATE TABLE mallbots.basket_activity",
		"RENAME TABLE mallbots.orders TO mallbots.orders_mine",
		"CREATE TABLE mallbots.mine (n UInt8) ENGINE = Memory",
	} {
		if err := conn.Exec(ctx, sql); !refused(err) {
			t.Errorf("the analyst ran %q: err = %v, want a refusal", sql, err)
		}
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO mallbots.notifications (notification_id, kind)")
	if err == nil {
		if err = b.Append("forged", "order_received"); err == nil {
			err = b.Send()
		}
	}
	if !refused(err) {
		t.Errorf("the analyst inserted a notification: err = %v, want a refusal", err)
	}
}

// refused says whether ClickHouse said no: READONLY (164) or ACCESS_DENIED
// (291), as readonly=2 answers.
func refused(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && (ex.Code == 164 || ex.Code == 291)
}

// Rebuilding the analytics projection on the loaded mall, while it runs,
// gives back the tables it replaced, row for row.
func TestRebuildingTheAnalyticsProjectionGivesTheSameTables(t *testing.T) {
	loadedMall(t)
	p := projections.Analytics(sys.Serde())
	conn := clickhouseConn(t)
	projectionsCaughtUp(t, time.Minute)
	before := map[string][]string{}
	for _, tb := range p.Tables {
		before[tb.Name] = rowsOf(t, conn, tb.Name)
	}
	began := time.Now()
	res, err := warehouse.Rebuild(context.Background(), kafkaAs(t, topics.RoleAdmin), conn, p,
		warehouse.RebuildSources(projections.Sources(p)),
		warehouse.RebuildProgressFunc(time.Second, func(pr warehouse.RebuildProgress) {
			if pr.Done {
				t.Logf("%s: %d/%d records, %d rows in %s (at %s)", pr.Phase, pr.Records, pr.Total, pr.Rows, pr.Elapsed.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	projectionsCaughtUp(t, time.Minute)
	for _, tb := range p.Tables {
		after := rowsOf(t, conn, tb.Name)
		if !slices.Equal(before[tb.Name], after) {
			t.Errorf("%s: %d rows before the rebuild, %d after, and they differ", tb.Name, len(before[tb.Name]), len(after))
		}
	}
	t.Logf("rebuilt %d tables from %d records (%d rows) in %s", len(res.Tables), res.Records, res.Rows, res.Took.Round(time.Millisecond))
}

// rowsOf is a table's rows under FINAL as text, sorted.
func rowsOf(t *testing.T, conn clickhouse.Conn, table string) []string {
	t.Helper()
	r, err := analytics.Run(context.Background(), conn, "SELECT * FROM mallbots."+table+" FINAL")
	if err != nil {
		t.Fatal(err)
	}
	n, err := analytics.Normalize(r)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(n))
	for i, row := range n {
		out[i] = strings.Join(row, "|")
	}
	slices.Sort(out)
	return out
}
