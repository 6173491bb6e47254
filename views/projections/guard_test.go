package projections

import (
	"context"
	"fmt"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
	"github.com/mallbots/mallbots/views/warehouse/warehousetest"
)

// A batch of the projector's size names thousands of aggregates, more than
// one query's text may (ClickHouse's max_query_size): the guard still
// reads what the table holds for every one of them, so a changed copy of
// an event held for the batch's last aggregate is refused, and an honest
// batch passes. One query for all 9,000 stopped the projection for good.
func TestTheGuardReadsWhatTheTableHoldsForABatchOfThousandsOfAggregates(t *testing.T) {
	chtest.RequireBinary(t)
	_, ch := warehousetest.Migrated(t)
	ctx := context.Background()
	const n = 9000
	rows := make([]warehouse.Row, n)
	for i := range rows {
		rows[i] = row(1, `{"name":"Store"}`, "aa")
		rows[i].Values[colID] = fmt.Sprintf("e877dd7c-be7c-4000-a000-%012d", i) // ids as long as the real ones
	}
	g := newEventsGuard()
	if refused, err := g.check(ctx, ch, rows); err != nil || len(refused) != 0 {
		t.Fatalf("an honest batch of %d aggregates on an empty table: refused %d, err %v; want none", n, len(refused), err)
	}

	last := rows[n-1]
	batch, err := ch.PrepareBatch(ctx, "INSERT INTO "+warehouse.Database+"."+EventsTable.Name+
		" (aggregate_type, aggregate_id, aggregate_version, event_id, payload, hash, occurred_at_ms)")
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Append(last.Values[colType], last.Values[colID], last.Values[colVersion], "e1", `{"name":"Honest Store"}`, "aa", uint64(1000)); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	// The same rows again, as a redelivered batch: each is at a version the
	// guard let through, so each is read back from the table.
	refused, err := g.check(ctx, ch, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 || refused[n-1] == nil {
		t.Fatalf("refused %d rows (%v); want only the last, whose aggregate the table holds with other content", len(refused), refused[n-1])
	}
}

// insertHeld writes an event row straight into the table, as another
// member of the group (or an earlier run) would have.
func insertHeld(t *testing.T, ch driver.Conn, r warehouse.Row) {
	t.Helper()
	ctx := context.Background()
	batch, err := ch.PrepareBatch(ctx, "INSERT INTO "+warehouse.Database+"."+EventsTable.Name+
		" (aggregate_type, aggregate_id, aggregate_version, event_id, payload, hash, occurred_at_ms)")
	if err != nil {
		t.Fatal(err)
	}
	v := r.Values
	if err := batch.Append(v[colType], v[colID], v[colVersion], v[eventColumn("event_id")], v[eventColumn("payload")], v[eventColumn("hash")], v[eventColumn("occurred_at_ms")]); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

// The guard reads the versions the table holds when it starts: a row above
// them is new, a row at or below them is checked against the table.
func TestTheGuardChecksTheRowsAtVersionsTheTableHoldsAndPassesNewOnes(t *testing.T) {
	chtest.RequireBinary(t)
	_, ch := warehousetest.Migrated(t)
	for v := uint64(1); v <= 3; v++ {
		insertHeld(t, ch, row(v, fmt.Sprintf(`{"v":%d}`, v), "aa"))
	}
	rows := []warehouse.Row{
		row(3, `{"v":3}`, "aa"),        // a redelivery of what the table holds
		row(2, `{"v":"forged"}`, "aa"), // a changed copy of a held event
		row(4, `{"v":4}`, "aa"),        // the next version
	}
	refused, err := newEventsGuard().check(context.Background(), ch, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 || refused[1] == nil {
		t.Fatalf("refused %v; want only the changed copy of v2", refused)
	}
}

// After a rebalance another member may have written events of the
// aggregates this member now projects: the guard forgets the versions it
// knew, reads them again, and so still refuses a changed copy of those.
func TestAfterARebalanceTheGuardReadsTheVersionsAgain(t *testing.T) {
	chtest.RequireBinary(t)
	_, ch := warehousetest.Migrated(t)
	ctx := context.Background()
	g := newEventsGuard()
	if refused, err := g.check(ctx, ch, []warehouse.Row{row(1, `{"v":1}`, "aa")}); err != nil || len(refused) != 0 {
		t.Fatalf("the first version on an empty table: refused %v, %v", refused, err)
	}
	insertHeld(t, ch, row(1, `{"v":1}`, "aa"))
	insertHeld(t, ch, row(2, `{"v":2}`, "aa")) // written by the member that had the partition

	forged := []warehouse.Row{row(2, `{"v":"forged"}`, "aa")}
	g.forget()
	refused, err := g.check(ctx, ch, forged)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 {
		t.Fatalf("a changed copy of v2, which another member wrote before the rebalance: refused %v; want it refused", refused)
	}

	// Without forgetting, the guard would have taken v2 for a new version:
	// what OnRebalance is for.
	stale := newEventsGuard()
	stale.top = map[uint64]uint64{stale.key("store", "s1"): 1}
	if refused, err := stale.check(ctx, ch, forged); err != nil || len(refused) != 0 {
		t.Fatalf("a guard that still believes v1 is the table's last: refused %v, %v; want nothing (the gap forget closes)", refused, err)
	}
}
