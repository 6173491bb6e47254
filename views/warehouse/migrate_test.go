package warehouse_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
)

func versions(t testing.TB) []string {
	t.Helper()
	all, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, m := range all {
		vs = append(vs, m.Version)
	}
	return vs
}

func TestMigrateFreshThenAgainIsANoOp(t *testing.T) {
	srv := chtest.Start(t)
	conn := chtest.Open(t, srv, chserver.DefaultUser)
	ctx := context.Background()

	applied, err := warehouse.Migrate(ctx, conn, chtest.Logger(t))
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if want := versions(t); !reflect.DeepEqual(applied, want) {
		t.Errorf("first migrate applied %v, want %v", applied, want)
	}
	again, err := warehouse.Migrate(ctx, conn, chtest.Logger(t))
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("second migrate applied %v, want nothing", again)
	}
	if n := count(t, conn, "SELECT count() FROM mallbots.schema_migrations FINAL"); n != uint64(len(applied)) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(applied))
	}

	// The Go column lists are the contract's column order.
	for _, table := range []warehouse.Table{warehouse.EventsTable, warehouse.StoresTable, warehouse.ProductsTable} {
		if got := chtest.Columns(t, conn, table.Name); !slices.Equal(got, table.Columns) {
			t.Errorf("mallbots.%s columns = %v, Go declares %v", table.Name, got, table.Columns)
		}
	}
}

func TestOldServerEndsAtTheFreshSchema(t *testing.T) {
	ctx := context.Background()
	fresh := chtest.Open(t, chtest.Start(t), chserver.DefaultUser)
	if _, err := warehouse.Migrate(ctx, fresh, chtest.Logger(t)); err != nil {
		t.Fatal(err)
	}

	// An old server: only the first migration applied and recorded.
	old := chtest.Open(t, chtest.Start(t), chserver.DefaultUser)
	all, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"CREATE DATABASE mallbots",
		"CREATE TABLE mallbots.schema_migrations (version String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version",
	} {
		exec(t, old, sql)
	}
	for _, sql := range all[0].Statements {
		exec(t, old, sql)
	}
	b, err := old.PrepareBatch(ctx, "INSERT INTO mallbots.schema_migrations (version, applied_at)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(all[0].Version, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}

	applied, err := warehouse.Migrate(ctx, old, chtest.Logger(t))
	if err != nil {
		t.Fatalf("migrate the old server: %v", err)
	}
	if want := versions(t)[1:]; !reflect.DeepEqual(applied, want) {
		t.Errorf("old server: applied %v, want %v", applied, want)
	}
	if f, o := schema(t, fresh), schema(t, old); !reflect.DeepEqual(f, o) {
		t.Errorf("schemas differ:\nfresh: %v\nold:   %v", f, o)
	}
}

func exec(t testing.TB, conn driver.Conn, sql string) {
	t.Helper()
	if err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// schema is every table of mallbots as SHOW CREATE TABLE prints it.
func schema(t testing.TB, conn driver.Conn) map[string]string {
	t.Helper()
	ctx := context.Background()
	names := chtest.Strings(t, conn, "SELECT name FROM system.tables WHERE database = 'mallbots'")
	out := map[string]string{}
	for _, n := range names {
		var ddl string
		if err := conn.QueryRow(ctx, "SHOW CREATE TABLE mallbots."+n).Scan(&ddl); err != nil {
			t.Fatalf("show create %s: %v", n, err)
		}
		out[n] = ddl
	}
	return out
}
