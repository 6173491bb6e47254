package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/topics"
)

// verifyCmd checks the event log and the state tables against it.
type verifyCmd struct {
	Types []string `arg:"" optional:"" help:"Aggregate types or groups to check (e.g. order, mallbots.products); default all."`
	eventLogFlags
	JSON  bool `help:"Print the report as JSON."`
	Quiet bool `help:"No progress lines on stderr."`
}

// Run reads every event topic and state table once and prints the report;
// any discrepancy makes it exit non-zero. Run it on a quiet system: a
// command in flight can show as a table one version behind its log.
func (v *verifyCmd) Run() error {
	opts := []replay.VerifyOption{replay.VerifyTypes(v.Types...)}
	if !v.Quiet {
		opts = append(opts, replay.VerifyProgress(os.Stderr))
	}
	return v.withEventLog(topics.RoleVerify, func(ctx context.Context, l *replay.Log) error {
		rep, err := l.Verify(ctx, opts...)
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
	})
}
