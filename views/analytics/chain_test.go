package analytics_test

import (
	"context"
	"testing"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/views/analytics"
	"github.com/mallbots/mallbots/views/warehouse"
	"github.com/mallbots/mallbots/views/warehouse/warehousetest"
)

// The cookbook's chain check (broken_chain_links) on ClickHouse 18.16,
// over mallbots.events alone: nothing on an honest log, pre-chain events
// included; each broken link at its aggregate and version, with the
// version and hash it should have linked to.
func TestTheChainCheckListsEachBrokenLinkAndNothingElse(t *testing.T) {
	query := cookbookQuery(t, "broken_chain_links")
	srv, admin := warehousetest.Migrated(t)
	ctx := context.Background()
	writer, analyst := chtest.Open(t, srv, chserver.WriterUser), chtest.Open(t, srv, chserver.AnalystUser)

	honest, err := analytics.HonestFixture()
	if err != nil {
		t.Fatal(err)
	}
	if hashOf(honest, "store", "s1", 1) != "" || hashOf(honest, "store", "s2", 3) == "" {
		t.Fatal("the fixture's stores no longer start before the chain: the adoption of pre-chain events goes unchecked")
	}
	broken, err := analytics.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	bl := analytics.BrokenLink
	gap := without(honest, "order", "b1", 2)
	unchained := withUnchainedEvent(t, honest, "b1")

	for _, c := range []struct {
		name string
		h    *analytics.History
		want analytics.Result
	}{
		{"an honest log", honest, nil},
		{"a link to a made-up predecessor", broken, analytics.Result{{bl.Aggregate, bl.ID, uint64(bl.Version), uint64(bl.Version - 1),
			hashOf(broken, bl.Aggregate, bl.ID, bl.Version, prev), hashOf(broken, bl.Aggregate, bl.ID, bl.Version-1)}}},
		{"a missing version", gap, analytics.Result{{"order", "b1", uint64(3), uint64(1),
			hashOf(gap, "order", "b1", 3, prev), hashOf(gap, "order", "b1", 1)}}},
		{"an event without a hash after chained ones", unchained, analytics.Result{{"order", "b1", uint64(5), uint64(4),
			"", hashOf(unchained, "order", "b1", 4)}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := admin.Exec(ctx, "TRUNCATE TABLE "+warehouse.Database+"."+warehouse.EventsTable.Name); err != nil {
				t.Fatal(err)
			}
			rows, err := analytics.WarehouseRows(c.h)
			if err != nil {
				t.Fatal(err)
			}
			rows.Tables = []warehouse.Table{warehouse.EventsTable}
			if err := rows.Insert(ctx, writer); err != nil {
				t.Fatal(err)
			}
			got, err := analytics.Run(ctx, analyst, query.SQL)
			if err != nil {
				t.Fatalf("%v\n%s", err, query.SQL)
			}
			want, err := analytics.Expected(query.Name, c.h, nil)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "ClickHouse and the stated links", c.want, got)
			same(t, "the Go figure and the stated links", c.want, want)
		})
	}
}

// Over an honest log exactly the queries that list faults return nothing.
func TestOnlyTheFaultListsAreEmptyOnAnHonestLog(t *testing.T) {
	h, err := analytics.HonestFixture()
	if err != nil {
		t.Fatal(err)
	}
	p := analytics.FixtureParams(h)
	for _, name := range analytics.Figures() {
		r, err := analytics.Expected(name, h, p)
		if err != nil {
			t.Fatal(err)
		}
		if empty := len(r) == 0; empty != analytics.EmptyOnAnHonestLog(name) {
			t.Errorf("%s: %d rows on the honest fixture, but EmptyOnAnHonestLog says %v", name, len(r), analytics.EmptyOnAnHonestLog(name))
		}
	}
}

func cookbookQuery(t *testing.T, name string) analytics.Query {
	t.Helper()
	for _, q := range cookbook(t) {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("the cookbook has no query %s", name)
	return analytics.Query{}
}

// same fails t unless want and got are the same rows once normalized;
// what names the two in the message ("<what> differ").
func same(t *testing.T, what string, want, got analytics.Result) {
	t.Helper()
	w, err := analytics.Normalize(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := analytics.Normalize(got)
	if err != nil {
		t.Fatal(err)
	}
	if d := analytics.Diff(w, g); d != "" {
		t.Errorf("%s differ:\n%s", what, d)
	}
}

// prev asks hashOf for the event's prevHash instead of its hash.
const prev = true

// hashOf is the hash (or, with prev, the prevHash) of an aggregate's event
// at a version.
func hashOf(h *analytics.History, aggregate, id string, version int64, prevHash ...bool) string {
	for _, e := range h.Events {
		if m := e.Meta(); e.Aggregate == aggregate && m.AggregateID == id && m.AggregateVersion == version {
			if len(prevHash) > 0 && prevHash[0] {
				return m.PrevHash
			}
			return m.Hash
		}
	}
	return ""
}

// without is h without one event: a version lost between the log and the
// table.
func without(h *analytics.History, aggregate, id string, version int64) *analytics.History {
	out := &analytics.History{}
	for _, e := range h.Events {
		if m := e.Meta(); e.Aggregate == aggregate && m.AggregateID == id && m.AggregateVersion == version {
			continue
		}
		out.Add(e)
	}
	return out
}

// withUnchainedEvent is h with one more event on order id, at the next
// version, without hashes: produced with a schema from before the chain
// after the order's events were chained.
func withUnchainedEvent(t *testing.T, h *analytics.History, id string) *analytics.History {
	t.Helper()
	out := &analytics.History{}
	var last *analytics.Event
	for _, e := range h.Events {
		out.Add(e)
		if e.Aggregate == "order" && e.Meta().AggregateID == id && (last == nil || e.Meta().AggregateVersion > last.Meta().AggregateVersion) {
			last = &e
		}
	}
	if last == nil {
		t.Fatalf("the fixture has no order %s", id)
	}
	ev := &ordering.OrderCanceled{ShoppingListID: "forged"}
	m := *last.Meta()
	m.EventID, m.AggregateVersion, m.PrevHash, m.Hash = "forged-"+id, m.AggregateVersion+1, "", ""
	*ev.EventMetadata() = m
	out.Add(analytics.Event{Type: "mallbots.ordering.OrderCanceled", Aggregate: "order", Event: ev})
	return out
}
