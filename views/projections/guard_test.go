package projections

import (
	"context"
	"fmt"
	"testing"

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
	if refused, err := guardEvents(ctx, ch, rows); err != nil || len(refused) != 0 {
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
	refused, err := guardEvents(ctx, ch, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 || refused[n-1] == nil {
		t.Fatalf("refused %d rows (%v); want only the last, whose aggregate the table holds with other content", len(refused), refused[n-1])
	}
}
