package warehouse_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
)

// leftovers lists the tables a rebuild may leave behind.
func leftovers(t testing.TB, conn driver.Conn) []string {
	t.Helper()
	return chtest.Strings(t, conn,
		"SELECT name FROM system.tables WHERE database = 'mallbots' AND (name LIKE '%\\_rebuild\\_%' OR name LIKE '%\\_replaced\\_%')")
}

// A rebuild while the live projection keeps consuming new records ends with
// tables equal to what the live projection alone makes of the same log:
// nothing the live projector wrote during the rebuild is lost by the swap.
func TestRebuildEqualsTheLiveTablesWhileTheProjectionRuns(t *testing.T) {
	r := newRig(t)
	const n, aggregates = 3000, 60
	r.kafka.produce(t, 0, n, aggregates)
	live := start(t, r.kafka.opts(), r.writer, eventsProjection("g-live"), warehouse.WithFlushInterval(20*time.Millisecond))
	eventually(t, wait, "the live projection caught up", func() bool { return r.kafka.committed(t, "g-live") == n })

	// Keep producing during the rebuild, in small steps.
	var wg sync.WaitGroup
	stopProducing := make(chan struct{})
	produced := n
	wg.Go(func() {
		for produced < 2*n {
			select {
			case <-stopProducing:
				return
			default:
			}
			r.kafka.produce(t, produced, produced+50, aggregates)
			produced += 50
		}
	})
	var phases []warehouse.RebuildProgress
	res, err := warehouse.Rebuild(context.Background(), r.kafka.opts(), r.admin, eventsProjection("g-live"),
		warehouse.RebuildBatchRows(700), warehouse.RebuildLogger(chtest.Logger(t)),
		warehouse.RebuildProgressFunc(time.Hour, func(p warehouse.RebuildProgress) {
			if p.Done {
				phases = append(phases, p)
			}
		}))
	close(stopProducing)
	wg.Wait()
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	eventually(t, wait, "the live projection caught up again", func() bool { return r.kafka.committed(t, "g-live") == int64(produced) })
	live.stop()

	if len(phases) != 2 || phases[0].Phase != "copy" || phases[0].Records < n || phases[0].Records != phases[0].Total || phases[1].Phase != "catch-up" {
		t.Errorf("progress at the end of each phase = %+v, want a copy of at least %d records, then a catch-up", phases, n)
	}
	if len(res.Tables) != 2 || res.Tables[0].Name != "events" || !strings.HasPrefix(res.Tables[0].Shadow, "events_rebuild_") || res.Rows < 2*n {
		t.Errorf("result = %+v", res)
	}
	if left := leftovers(t, r.admin); len(left) != 0 {
		t.Errorf("the rebuild left tables behind: %v", left)
	}
	// What a fresh projection makes of the whole log, into a second server.
	_, admin2, writer2 := migrated(t)
	fresh := start(t, r.kafka.opts(), writer2, eventsProjection("g-fresh"))
	eventually(t, wait, "a fresh projection caught up", func() bool { return r.kafka.committed(t, "g-fresh") == int64(produced) })
	fresh.stop()
	for _, table := range []string{"events", "products"} {
		got, want := chtest.FinalRows(t, r.admin, table), chtest.FinalRows(t, admin2, table)
		if !slices.Equal(got, want) {
			t.Errorf("%s after the rebuild has %d rows, a fresh projection %d; they differ", table, len(got), len(want))
		}
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.events FINAL"); got != uint64(produced) {
		t.Errorf("events FINAL = %d, want %d", got, produced)
	}
}

// Rebuilding one table reads only the topics that feed it and leaves the
// projection's other tables alone.
func TestRebuildOneTable(t *testing.T) {
	r := newRig(t)
	r.kafka.produce(t, 0, 500, 20)
	live := start(t, r.kafka.opts(), r.writer, eventsProjection("g-one"))
	eventually(t, wait, "caught up", func() bool { return r.kafka.committed(t, "g-one") == 500 })
	live.stop()
	// A product row the log does not explain: the rebuild must drop it, and
	// an events row the log does not explain: the rebuild must keep it.
	exec(t, r.admin, "INSERT INTO mallbots.products (id, store_id, name, description, sku, price, removed, version, updated_at) SELECT 'stray', 's', 'n', 'd', 'k', toDecimal64(1, 2), 0, 1, now()")
	exec(t, r.admin, "INSERT INTO mallbots.events (event_id, aggregate_type, aggregate_id, aggregate_version) SELECT 'stray', 'test', 'stray', 1")
	before := chtest.FinalRows(t, r.admin, "products")

	res, err := warehouse.Rebuild(context.Background(), r.kafka.opts(), r.admin, eventsProjection("g-one"),
		warehouse.RebuildTables("products"), warehouse.RebuildLogger(chtest.Logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 || res.Tables[0].Name != "products" || res.Tables[0].Rows != 500 {
		t.Errorf("result = %+v, want products rebuilt from 500 rows", res)
	}
	after := chtest.FinalRows(t, r.admin, "products")
	if len(before) != 21 || len(after) != 20 || slices.ContainsFunc(after, func(row string) bool { return strings.HasPrefix(row, "stray|") }) {
		t.Errorf("products: %d rows before (with a stray one), %d after; want 21, then the 20 the log explains", len(before), len(after))
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.events FINAL WHERE aggregate_id = 'stray'"); got != 1 {
		t.Errorf("the events table was touched: stray row count %d, want 1", got)
	}
}

func TestRebuildRefusesWhatItCannotDo(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_, err := warehouse.Rebuild(ctx, r.kafka.opts(), r.admin, eventsProjection("g-x"), warehouse.RebuildTables("orders"))
	if err == nil || !strings.Contains(err.Error(), `no table "orders"`) {
		t.Errorf("unknown table: err = %v", err)
	}
	p := eventsProjection("g-x")
	p.Tables = append(p.Tables, warehouse.Table{Name: "not_migrated", Columns: []string{"id"}})
	_, err = warehouse.Rebuild(ctx, r.kafka.opts(), r.admin, p)
	if err == nil || !strings.Contains(err.Error(), "is the schema migrated?") {
		t.Errorf("missing table: err = %v", err)
	}
	if left := leftovers(t, r.admin); len(left) != 0 {
		t.Errorf("a refused rebuild left tables behind: %v", left)
	}
}
