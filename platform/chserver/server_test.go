package chserver_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
)

func TestStartServesOnlyTheNativePortThenStops(t *testing.T) {
	srv := chtest.Start(t)
	conn := chtest.Open(t, srv, chserver.DefaultUser)
	var version string
	if err := conn.QueryRow(context.Background(), "SELECT version()").Scan(&version); err != nil {
		t.Fatalf("query version: %v", err)
	}
	t.Logf("server version %s at %s", version, srv.Addr())

	if got := listeningAddrs(t, srv.PID()); len(got) != 1 || got[0] != srv.Addr() {
		t.Errorf("server listens on %v, want only %s", got, srv.Addr())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after Stop returned")
	}
	if err := srv.Err(); err != nil {
		t.Errorf("Err after a requested stop = %v, want nil", err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

func TestRestartOnSameDirAfterChildKilled(t *testing.T) {
	chtest.RequireBinary(t)
	dir := t.TempDir()
	opts := []chserver.Option{chserver.WithLogger(chtest.Logger(t))}
	ctx := context.Background()

	first, err := chserver.Start(ctx, dir, opts...)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	conn := chtest.Open(t, first, chserver.DefaultUser)
	mustExec(t, conn, "CREATE TABLE default.kept (n UInt64) ENGINE = MergeTree ORDER BY n")
	insertNumbers(t, conn, "default.kept", 3)

	if err := syscall.Kill(first.PID(), syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	select {
	case <-first.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed 30s after SIGKILL of the child")
	}
	if err := first.Err(); err == nil || !strings.Contains(err.Error(), "exited unexpectedly") {
		t.Errorf("Err after SIGKILL = %v, want an unexpected-exit error", err)
	}

	second, err := chserver.Start(ctx, dir, opts...)
	if err != nil {
		t.Fatalf("restart on the same dir: %v", err)
	}
	t.Cleanup(func() { stop(t, second) })
	var n uint64
	if err := chtest.Open(t, second, chserver.DefaultUser).QueryRow(ctx, "SELECT count() FROM default.kept").Scan(&n); err != nil {
		t.Fatalf("count after restart: %v", err)
	}
	if n != 3 {
		t.Errorf("rows after restart = %d, want 3", n)
	}
}

// A taken port is refused at once, naming the address, before a child is
// started (the child would say so only in its error log, after a timeout).
func TestATakenPortIsRefusedWithItsAddress(t *testing.T) {
	chtest.RequireBinary(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	began := time.Now()
	_, err = chserver.Start(context.Background(), dir, chserver.WithTCPAddr(taken.Addr().String()), chserver.WithLogger(chtest.Logger(t)))
	var bind *chserver.BindError
	switch {
	case !errors.As(err, &bind):
		t.Fatalf("start on a taken port: %v, want a *chserver.BindError", err)
	case bind.Addr != taken.Addr().String() || !errors.Is(err, syscall.EADDRINUSE):
		t.Fatalf("BindError{%s, %v}, want the taken address %s and EADDRINUSE", bind.Addr, bind.Err, taken.Addr())
	case !strings.Contains(err.Error(), taken.Addr().String()):
		t.Fatalf("error %q does not name the address", err)
	case time.Since(began) > 2*time.Second:
		t.Fatalf("refused after %s, want at once", time.Since(began))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the data directory was written (%d entries): nothing should start", len(entries))
	}
}

func TestErrNotInstalled(t *testing.T) {
	_, err := chserver.Start(context.Background(), t.TempDir(), chserver.WithBinary("/nonexistent/clickhouse-server"))
	if !errors.Is(err, chserver.ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "apt-get install clickhouse-server") {
		t.Errorf("error does not say how to install: %v", err)
	}
}

func TestConfigIsValidatedBeforeAnythingRuns(t *testing.T) {
	_, err := chserver.Start(context.Background(), "", chserver.WithTCPAddr("0.0.0.0:9000"))
	if err == nil {
		t.Fatal("want an error for an empty data directory and a non-loopback address")
	}
	for _, want := range []string{"data directory is empty", "loopback"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func mustExec(t testing.TB, conn driver.Conn, sql string) {
	t.Helper()
	if err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func insertNumbers(t testing.TB, conn driver.Conn, table string, n int) {
	t.Helper()
	if err := tryInsertNumbers(conn, table, n); err != nil {
		t.Fatalf("insert into %s: %v", table, err)
	}
}

func tryInsertNumbers(conn driver.Conn, table string, n int) error {
	b, err := conn.PrepareBatch(context.Background(), "INSERT INTO "+table+" (n)")
	if err != nil {
		return err
	}
	for i := range n {
		if err := b.Append(uint64(i)); err != nil {
			return err
		}
	}
	return b.Send()
}

func stop(t testing.TB, srv *chserver.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}
