package system

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
)

// A port another process holds is refused with its address and the flag
// that moves it, before anything is written or started.
func TestATakenPortNamesItsAddressAndFlag(t *testing.T) {
	chtest.RequireBinary(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	s := &System{cfg: Config{DataDir: t.TempDir(), ClickHouseTCPAddr: addr}, log: slog.New(slog.DiscardHandler)}
	_, _, _, _, err = s.startClickHouse(context.Background())
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "--clickhouse-tcp-addr") {
		t.Fatalf("ClickHouse on a taken port: %v, want an error naming %s and --clickhouse-tcp-addr", err, addr)
	}
}
