package system_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
)

// statusAfter is the status each order event leaves the order in.
var statusAfter = map[string]string{
	"mallbots.ordering.OrderCreated":   "pending",
	"mallbots.ordering.OrderApproved":  "approved",
	"mallbots.ordering.OrderRejected":  "rejected",
	"mallbots.ordering.OrderCanceled":  "canceled",
	"mallbots.ordering.OrderReadied":   "ready",
	"mallbots.ordering.OrderCompleted": "completed",
}

// orderEvent is one event of an order as ClickHouse's events table has
// it: a source apart from the log reader under test.
type orderEvent struct {
	version    uint64
	occurredAt time.Time
	typ        string
}

// orderEvents waits until ClickHouse has the order's events up to the one
// that left it in status final.
func orderEvents(t *testing.T, order, final string) []orderEvent {
	t.Helper()
	conn := clickhouseConn(t)
	var evs []orderEvent
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		evs = evs[:0]
		rows, err := conn.Query(context.Background(), `
			SELECT aggregate_version, occurred_at_ms, event_type FROM mallbots.events FINAL
			WHERE aggregate_type = 'order' AND aggregate_id = ? ORDER BY aggregate_version`, order)
		if err != nil {
			return false, err.Error()
		}
		defer rows.Close()
		for rows.Next() {
			var e orderEvent
			var ms uint64
			if err := rows.Scan(&e.version, &ms, &e.typ); err != nil {
				return false, err.Error()
			}
			e.occurredAt = time.UnixMilli(int64(ms)).UTC()
			evs = append(evs, e)
		}
		done := len(evs) > 0 && statusAfter[evs[len(evs)-1].typ] == final
		return done, fmt.Sprintf("order %s's events in ClickHouse do not end in %s yet: %v", order, final, evs)
	})
	return evs
}

// history asks the API for an order at an instant.
func history(t *testing.T, order string, at time.Time) testkit.Response {
	t.Helper()
	return api(t).Do("GET", "/api/history/order/"+order+"?at="+url.QueryEscape(at.Format(time.RFC3339Nano)), nil)
}

func TestTimeTravelShowsEachStatusAnOrderPassedThrough(t *testing.T) {
	s := loadedMall(t)
	for _, c := range []struct {
		final  string
		passed []string
	}{
		{"completed", []string{"pending", "approved", "ready", "completed"}},
		{"canceled", []string{"pending", "approved", "canceled"}},
		{"rejected", []string{"pending", "rejected"}},
	} {
		order := orderWithStatus(t, s, c.final)
		evs := orderEvents(t, order, c.final)
		if r := history(t, order, evs[0].occurredAt.Add(-time.Millisecond)).Expect(t, 404); !strings.Contains(r.S("message"), "did not exist yet") {
			t.Fatalf("before its first event: %s", r.Raw)
		}

		var seen []string
		for i, e := range evs {
			// At the instant of an event, and between it and the next.
			instants := []time.Time{e.occurredAt}
			if i+1 < len(evs) && evs[i+1].occurredAt.Sub(e.occurredAt) > time.Millisecond {
				instants = append(instants, e.occurredAt.Add(evs[i+1].occurredAt.Sub(e.occurredAt)/2))
			}
			for j, at := range instants {
				start := time.Now()
				r := history(t, order, at).Expect(t, 200)
				took := time.Since(start)
				state, _ := r.Body["state"].(map[string]any)
				if r.N("version") != float64(e.version) || state["status"] != statusAfter[e.typ] {
					t.Fatalf("order %s at %s: %s; want v%d %s", order, at.Format(time.RFC3339Nano), r.Raw, e.version, statusAfter[e.typ])
				}
				if i == 0 && j == 0 {
					t.Logf("GET /api/history/order/%s: read %v records of partition %v in %s", order, r.N("scannedRecords"), r.N("partition"), took.Round(time.Microsecond))
				}
			}
			seen = append(seen, statusAfter[e.typ])
		}
		if !slices.Equal(seen, c.passed) {
			t.Errorf("a %s order passed through %v, want %v", c.final, seen, c.passed)
		}
	}
}

func TestTimeTravelRefusesABadTypeOrTime(t *testing.T) {
	api(t).Do("GET", "/api/history/spaceship/x", nil).ExpectError(t, 400, `unknown aggregate "spaceship": name a type (store, product, customer, basket, order, payment, invoice, shopping_list, bot) or its group (mallbots.orders, …)`)
	r := api(t).Do("GET", "/api/history/order/x?at=last-tuesday", nil).Expect(t, 400)
	if !strings.Contains(r.S("message"), "RFC 3339") {
		t.Fatalf("the message says what a time looks like: %s", r.Raw)
	}
}
