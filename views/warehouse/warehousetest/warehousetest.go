// Package warehousetest gives a test a ClickHouse server with the
// warehouse's tables: chtest's server (its own, stopped when the test ends;
// skipped where clickhouse-server is missing, failed under CI=true) with
// every migration applied.
package warehousetest

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
)

// Migrated starts a server for t, applies every migration as the default
// user and returns the server with that user's connection, the admin's.
func Migrated(t testing.TB) (*chserver.Server, driver.Conn) {
	t.Helper()
	srv := chtest.Start(t)
	admin := chtest.Open(t, srv, chserver.DefaultUser)
	if _, err := warehouse.Migrate(context.Background(), admin, chtest.Logger(t)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return srv, admin
}
