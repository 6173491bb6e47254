// Package chtest gives each test its own ClickHouse server: a
// chserver.Server in the test's temporary directory on a free loopback port,
// stopped when the test ends. Where clickhouse-server is not installed the
// test is skipped, except under CI=true, where it fails: integration tests
// are never skipped in CI.
package chtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver"
)

// Passwords of the writer and analyst users on test servers; Server.Options
// fills them in.
const (
	WriterPassword  = "writer-test-password"
	AnalystPassword = "analyst-test-password"
)

// attempts covers the small chance that another process takes the free port
// between picking it and the server binding it.
const attempts = 3

// Start starts a server for t and registers its Stop with t.Cleanup. On a
// failed test the end of the server's error log is added to the test log.
func Start(t testing.TB) *chserver.Server {
	t.Helper()
	dir := t.TempDir()
	opts := []chserver.Option{
		chserver.WithWriterPassword(WriterPassword),
		chserver.WithAnalystPassword(AnalystPassword),
		chserver.WithLogger(Logger(t)),
	}
	var srv *chserver.Server
	var err error
	for i := 0; i < attempts; i++ {
		srv, err = chserver.Start(context.Background(), dir, opts...)
		if err == nil || errors.Is(err, chserver.ErrNotInstalled) {
			break
		}
		t.Logf("chtest: start attempt %d of %d failed: %v", i+1, attempts, err)
	}
	if errors.Is(err, chserver.ErrNotInstalled) {
		skipOrFail(t, err)
	}
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("chtest: stop: %v", err)
		}
		if t.Failed() {
			dumpErrorLog(t, filepath.Join(srv.Dir(), "log", "clickhouse-server.err.log"))
		}
	})
	return srv
}

// RequireBinary skips t (fails it under CI=true) when no clickhouse-server
// binary is installed, without starting one.
func RequireBinary(t testing.TB) {
	t.Helper()
	if _, err := chserver.FindBinary(""); err != nil {
		skipOrFail(t, err)
	}
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("chtest: %v (integration tests are never skipped in CI)", err)
	}
	t.Skipf("chtest: %v", err)
}

// stackFrame matches the numbered stack-trace lines ClickHouse logs under
// every exception.
var stackFrame = regexp.MustCompile(`^\d+\. `)

func dumpErrorLog(t testing.TB, path string) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !stackFrame.MatchString(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	t.Logf("chtest: end of %s:\n%s", path, strings.Join(lines, "\n"))
}
