// Package systemtest starts the whole system for a test package's
// TestMain: every component in-process, ready before the tests run.
package systemtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mallbots/mallbots/app/system"
)

// Start starts the system and waits, within ctx, until every component is
// ready. stop shuts it down (within 30 s) and reports a failure on
// standard error, where TestMain has nowhere else to say it.
func Start(ctx context.Context, cfg system.Config) (sys *system.System, stop func(), err error) {
	sys, err = system.Start(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("start the system: %w", err)
	}
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sys.Shutdown(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "shutdown:", err)
		}
	}
	for sys.Ready() != nil {
		if ctx.Err() != nil {
			err := fmt.Errorf("the system did not get ready: %w", sys.Ready())
			stop()
			return nil, nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sys, stop, nil
}

// StartInTemp starts the system as Start does, within 2 minutes, on a new
// temporary data folder named from pattern (as os.MkdirTemp names it),
// every listener on a free loopback port, projections flushed every 100 ms
// and the log Log's. configure, when not nil, sets the rest of the test's
// configuration (it sees DataDir). stop shuts the system down and removes
// the folder.
func StartInTemp(pattern string, configure func(*system.Config)) (sys *system.System, stop func(), err error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return nil, nil, err
	}
	cfg := system.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0",
		ClickHouseTCPAddr: "127.0.0.1:0", FlushInterval: 100 * time.Millisecond,
		Log: Log(),
	}
	if configure != nil {
		configure(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	sys, shutdown, err := Start(ctx, cfg)
	if err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return sys, func() {
		shutdown()
		cancel()
		os.RemoveAll(dir)
	}, nil
}

// Log is the system's log in tests: silent, or at DEBUG on standard error
// when MALLBOTS_TEST_LOG is set (to see what a failing test's system did).
func Log() *slog.Logger {
	var out io.Writer = io.Discard
	if os.Getenv("MALLBOTS_TEST_LOG") != "" {
		out = os.Stderr
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
