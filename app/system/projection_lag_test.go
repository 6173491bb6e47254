package system_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/tools/loadgen"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/analytics"
	"github.com/mallbots/mallbots/views/projections"
)

// projectionsReport reads GET /api/projections.
func projectionsReport(t *testing.T) httpapi.ProjectionsReport {
	t.Helper()
	r := api(t).Do("GET", "/api/projections", nil).Expect(t, 200)
	var rep httpapi.ProjectionsReport
	if err := json.Unmarshal([]byte(r.Raw), &rep); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
	return rep
}

func statusOf(t *testing.T, rep httpapi.ProjectionsReport, name string) httpapi.ProjectionStatus {
	t.Helper()
	for _, p := range rep.Projections {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no projection %q in the report", name)
	return httpapi.ProjectionStatus{}
}

// GET /api/projections names every projection and every table it writes,
// each table with the topics that feed it.
func TestProjectionsReportEveryProjectionAndTable(t *testing.T) {
	rep := projectionsReport(t)
	if time.Since(rep.MeasuredAt) > time.Minute {
		t.Errorf("measuredAt %s is not recent", rep.MeasuredAt)
	}
	for _, p := range projections.All(sys.Serde()) {
		st := statusOf(t, rep, p.Name)
		if st.Group != p.Group || !st.Local || st.Stats == nil {
			t.Errorf("%s: %+v, want its group, local, with stats", p.Name, st)
		}
		var tables []string
		for _, tb := range st.Tables {
			tables = append(tables, tb.Table)
			if len(tb.Topics) == 0 {
				t.Errorf("%s.%s is fed by no topic", p.Name, tb.Table)
			}
		}
		for _, tb := range p.Tables {
			if !slices.Contains(tables, tb.Name) {
				t.Errorf("%s: table %s missing from the report %v", p.Name, tb.Name, tables)
			}
		}
	}
	orders := statusOf(t, rep, "state").Tables
	for _, tb := range orders {
		if tb.Table == "orders" && !slices.Equal(tb.Topics, []string{topics.Orders.Table.Name}) {
			t.Errorf("the orders table is fed by %v, want only %s", tb.Topics, topics.Orders.Table.Name)
		}
	}
}

// ClickHouse stopped for 30 seconds while shoppers keep buying: the lag
// shows in GET /api/projections, and once ClickHouse is back every table
// holds what the log says, each row once.
func TestClickHouseStoppedForThirtySecondsUnderLoad(t *testing.T) {
	const outage = 30 * time.Second
	before := statusOf(t, projectionsReport(t), "events").Stats.Records

	var (
		wg      sync.WaitGroup
		summary loadgen.Summary
		loadErr error
	)
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		summary, loadErr = loadgen.Run(ctx, loadgen.Config{API: "http://" + sys.HTTPAddr(), Token: tokenFor(t, operator), Shoppers: 150, Rate: 4, Seed: 30, OrderTimeout: time.Minute})
	})
	t.Cleanup(wg.Wait)
	// Every 200ms: each check asks the loaded system for its report.
	testkit.Poll(t, 30*time.Second, 200*time.Millisecond, "the load to reach ClickHouse", func() bool {
		return statusOf(t, projectionsReport(t), "events").Stats.Records >= before+100
	})

	stopped := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sys.StopClickHouse(ctx); err != nil {
		t.Fatal(err)
	}
	var maxLag int64
	var maxAge float64
	for tick := time.NewTicker(time.Second); time.Since(stopped) < outage; <-tick.C {
		ev := statusOf(t, projectionsReport(t), "events")
		maxLag, maxAge = max(maxLag, ev.LagEvents), max(maxAge, ev.LagSeconds)
	}
	if err := sys.RestartClickHouse(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	t.Logf("ClickHouse down for %s; the events projection fell %d events and %.1fs behind", restarted.Sub(stopped).Round(time.Millisecond), maxLag, maxAge)
	if maxLag == 0 || maxAge < outage.Seconds()/2 {
		t.Errorf("GET /api/projections did not show the outage: at most %d events, %.1fs behind", maxLag, maxAge)
	}
	projectionsCaughtUp(t, time.Minute)
	t.Logf("caught up %s after the restart", time.Since(restarted).Round(time.Millisecond))
	if ev := statusOf(t, projectionsReport(t), "events"); ev.Stats.InsertFailures == 0 {
		t.Errorf("the events projector saw no refused insert during the outage: %+v", ev.Stats)
	}

	wg.Wait()
	if loadErr != nil || summary.Errors > 0 || summary.Stuck > 0 {
		t.Fatalf("the load failed: %v (%d shoppers with errors, %d orders not finished)", loadErr, summary.Errors, summary.Stuck)
	}
	t.Logf("load: %d shoppers, %d commands, %d orders created (%d completed) in %s",
		summary.Shoppers, summary.CommandsSent, summary.OrdersCreated, summary.Completed, summary.Duration.Round(time.Millisecond))
	deadline := time.Now().Add(time.Minute)
	for {
		projectionsCaughtUp(t, time.Minute)
		diffs, counts := compareCounts(t, readHistory(t))
		if len(diffs) == 0 {
			t.Logf("ClickHouse equals the log: %s", counts)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ClickHouse and the log differ:\n%s", strings.Join(diffs, "\n"))
		}
	}
}

// compareCounts compares the tables' counts under FINAL with the log's:
// events, every current-state table (rows and the sum of their versions),
// the analytics tables and the notifications; and checks that no event is
// in ClickHouse twice.
func compareCounts(t *testing.T, h *analytics.History) (diffs []string, summary string) {
	t.Helper()
	want := map[string]uint64{
		"SELECT count() FROM mallbots.events FINAL":        uint64(len(h.Events)),
		"SELECT count() FROM mallbots.notifications FINAL": uint64(len(h.Notifications)),
		"SELECT count() FROM (SELECT aggregate_type, aggregate_id, aggregate_version FROM mallbots.events FINAL " +
			"GROUP BY aggregate_type, aggregate_id, aggregate_version HAVING count() > 1)": 0,
	}
	last := map[string]map[string]int64{} // aggregate type → id → highest version
	var lines uint64
	for _, e := range h.Events {
		m := e.Meta()
		if last[e.Aggregate] == nil {
			last[e.Aggregate] = map[string]int64{}
		}
		last[e.Aggregate][m.AggregateID] = max(last[e.Aggregate][m.AggregateID], m.AggregateVersion)
		if c, ok := e.Event.(*ordering.OrderCreated); ok {
			lines += uint64(len(c.Items))
		}
	}
	want["SELECT count() FROM mallbots.order_lines FINAL"] = lines
	want["SELECT count() FROM mallbots.order_milestones FINAL"] = versionsOf(last["order"])
	want["SELECT count() FROM mallbots.basket_activity FINAL"] = versionsOf(last["basket"])
	state := projections.State(sys.Serde())
	for table, feeds := range projections.Sources(state) {
		agg, _ := topics.AggregateOf(feeds[0])
		want["SELECT count() FROM mallbots."+table+" FINAL"] = uint64(len(last[agg.Type]))
		want["SELECT sum(version) FROM mallbots."+table+" FINAL"] = versionsOf(last[agg.Type])
	}
	conn := clickhouseConn(t)
	var parts []string
	for sql, n := range want {
		var got uint64
		if err := conn.QueryRow(context.Background(), sql).Scan(&got); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if got != n {
			diffs = append(diffs, fmt.Sprintf("%s = %d, the log says %d", sql, got, n))
		}
		parts = append(parts, fmt.Sprintf("%d", got))
	}
	return diffs, fmt.Sprintf("%d events, %d notifications, %d order lines, %d queries equal", len(h.Events), len(h.Notifications), lines, len(parts))
}

// versionsOf adds up the highest versions: the events of those aggregates.
func versionsOf(last map[string]int64) uint64 {
	var n uint64
	for _, v := range last {
		n += uint64(v)
	}
	return n
}
