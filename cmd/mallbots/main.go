// Command mallbots is the one MallBots binary: `mallbots run` starts the
// system (embedded by default), `mallbots topics` manages the topic
// catalogue. Flags have MALLBOTS_* environment twins; secrets come only
// from the environment.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/willabides/kongplete"
)

type cli struct {
	Version kong.VersionFlag `help:"Print the module version and the VCS commit it was built from, and exit."`

	LogLevel  string `help:"debug, info, warn or error." default:"info" env:"MALLBOTS_LOG_LEVEL" enum:"debug,info,warn,error"`
	LogFormat string `help:"text or json." default:"text" env:"MALLBOTS_LOG_FORMAT" enum:"text,json"`

	Run    runCmd    `cmd:"" help:"Run MallBots: broker, schema registry, ClickHouse, processors, views, projections and the HTTP API (embedded unless addresses are given)."`
	Topics topicsCmd `cmd:"" help:"Create missing topics or report drift from the catalogue."`
	Load   loadCmd   `cmd:"" help:"Simulate shoppers through the HTTP API, print progress and a summary, and compare it with ClickHouse."`
	Chaos  chaosCmd  `cmd:"" help:"Inject a fault under load (kill -9, broker or ClickHouse restarts, poison input, duplicates) and report what was lost or doubled."`
	Replay replayCmd `cmd:"" help:"Rebuild a ClickHouse projection or a state table from the event log, or show an aggregate at an instant."`
	Verify verifyCmd `cmd:"" help:"Check the event log (versions 1..n per aggregate, no gap, no conflicting duplicate) and every state table against it; exits non-zero on any discrepancy."`
	Bench  benchCmd  `cmd:"" help:"Measure throughput, latency, recovery, projection lag and memory on the embedded stack next to raw baselines from the same run; prints a table (--json FILE for JSON)."`

	Schemas schemasCmd `cmd:"" help:"Check the Avro contract against a live schema registry."`
	Migrate migrateCmd `cmd:"" help:"Apply the ClickHouse migrations embedded in the binary (the one-shot job of a distributed deployment)."`
	Health  healthCmd  `cmd:"" help:"Probe a role's /readyz or /healthz (a container healthcheck); exits non-zero unless it answers 200."`
	Token   tokenCmd   `cmd:"" help:"Print a bearer token for the HTTP API, signed with the key in the data directory (TOKEN=$(mallbots token --role operator))."`

	Completion completionCmd `cmd:"" help:"Print the shell hook that completes mallbots' commands and flags: eval \"$(mallbots completion bash)\" (or zsh, fish)."`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mallbots:", err)
		os.Exit(1)
	}
}

func run() error {
	var c cli
	parser := kong.Must(&c, options()...)
	// A shell asking for completions (COMP_LINE set, see completion.go)
	// gets them here, and the process exits.
	kongplete.Complete(parser)
	k, err := parser.Parse(os.Args[1:])
	parser.FatalIfErrorf(err)
	log := newLogger(c.LogLevel, c.LogFormat)
	slog.SetDefault(log)
	servePprof(log)
	return k.Run(log)
}

// options configure the command line: the same in main and in the tests.
func options() []kong.Option {
	return []kong.Option{
		kong.Name("mallbots"),
		kong.Description("MallBots: a robot-staffed shopping mall as an event-sourced Kafka pipeline."),
		kong.UsageOnError(),
		kong.Vars{"version": version()},
	}
}

// interruptible is the context of a command that Ctrl-C or SIGTERM
// cancels: the command then closes its clients and reports what it did,
// rather than dying halfway through a write.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func newLogger(level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
