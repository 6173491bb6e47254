package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mallbots/mallbots/app/replay"
)

// verifyCmd checks the event log and the state tables against it.
type verifyCmd struct {
	Types          []string `arg:"" optional:"" help:"Aggregate types or groups to check (e.g. order, mallbots.products); default all."`
	Brokers        []string `help:"Kafka bootstrap brokers." default:"127.0.0.1:9092" env:"MALLBOTS_BROKERS"`
	SchemaRegistry string   `help:"Schema registry URL." default:"http://127.0.0.1:8081" env:"MALLBOTS_SCHEMA_REGISTRY"`
	JSON           bool     `help:"Print the report as JSON."`
	Quiet          bool     `help:"No progress lines on stderr."`
	kafkaSecurity
}

// Run reads every event topic and state table once and prints the report;
// any discrepancy makes it exit non-zero. Run it on a quiet system: a
// command in flight can show as a table one version behind its log.
func (v *verifyCmd) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := openEventLog(ctx, v.kafkaSecurity, v.Brokers, v.SchemaRegistry)
	if err != nil {
		return err
	}
	defer l.Close()
	var progress io.Writer = os.Stderr
	if v.Quiet {
		progress = nil
	}
	rep, err := l.Verify(ctx, replay.VerifyOptions{Types: v.Types, Progress: progress})
	if err != nil {
		return err
	}
	if v.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.Print(os.Stdout)
	}
	if n := len(rep.Discrepancies()); n > 0 {
		return fmt.Errorf("%s between the log's promises and what it and the state tables hold", replay.Count(n, "discrepancy", "discrepancies"))
	}
	return nil
}
