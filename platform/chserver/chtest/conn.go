package chtest

import (
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/platform/chserver"
)

// Open connects to srv as user and closes the connection when the test
// ends, so a test holds no connection open past its server's Stop.
func Open(t testing.TB, srv *chserver.Server, user string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(srv.Options(user))
	if err != nil {
		t.Fatalf("open %s: %v", user, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
