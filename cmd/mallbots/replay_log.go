package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/topics"
)

// eventLogFlags are the flags of a command that reads the event log and
// the state tables.
type eventLogFlags struct {
	kafkaFlags
	SchemaRegistry string `help:"Schema registry URL." default:"http://127.0.0.1:8081" env:"MALLBOTS_SCHEMA_REGISTRY"`
}

// withEventLog runs fn with a reader of the event log and the state
// tables, in a context that Ctrl-C or SIGTERM cancels.
func (f eventLogFlags) withEventLog(role string, fn func(ctx context.Context, l *replay.Log) error) error {
	ctx, stop := interruptible()
	defer stop()
	kafka, err := f.kgoOpts(f.Brokers, role)
	if err != nil {
		return err
	}
	sd, err := openSerde(ctx, f.SchemaRegistry)
	if err != nil {
		return err
	}
	l, err := replay.New(sd, kafka...)
	if err != nil {
		return err
	}
	defer l.Close()
	return fn(ctx, l)
}

// replayTable rebuilds a state table from its event log, compares it with
// the live one and swaps it in (docs/adr/0010).
func (r *replayCmd) replayTable() error {
	opts := []replay.RebuildOption{replay.RebuildProgress(os.Stdout)}
	if r.Force {
		opts = append(opts, replay.RebuildForce())
	}
	if r.DryRun {
		opts = append(opts, replay.RebuildDryRun())
	}
	// It deletes and writes topics: the admin's (topics.Admin).
	return r.withEventLog(topics.RoleAdmin, func(ctx context.Context, l *replay.Log) error {
		rep, err := l.Rebuild(ctx, r.Table, opts...)
		var active *replay.GroupActiveError
		if errors.As(err, &active) {
			return err // nothing was read: the message says what to do
		}
		if rep != nil {
			printRebuild(os.Stdout, rep, r.DryRun)
		}
		if err != nil {
			return err
		}
		if r.DryRun && len(rep.Differences) > 0 {
			return fmt.Errorf("%s differs from its rebuild in %s (dry run: nothing written; %s holds the rebuild)", rep.Table, replay.Count(len(rep.Differences), "aggregate", "aggregates"), rep.Topic)
		}
		return nil
	})
}

func printRebuild(w io.Writer, r *replay.RebuildReport, dryRun bool) {
	if len(r.ActiveMembers) > 0 {
		fmt.Fprintf(w, "group %s has active members: %s\n", r.Group, strings.Join(r.ActiveMembers, ", "))
	}
	fmt.Fprintf(w, "%s: %d events (%d redelivered copies skipped) → %d snapshots in %s\n", r.Group, r.Events, r.Duplicates, r.Rebuilt, r.Topic)
	fmt.Fprintf(w, "live %s: %d snapshots, %d equal to their rebuild, %d differ\n", r.Table, r.Live, r.Matching, len(r.Differences))
	for i, d := range r.Differences {
		if i == replay.MaxListed {
			fmt.Fprintf(w, "  … and %d more\n", len(r.Differences)-i)
			break
		}
		fmt.Fprintln(w, "  "+d.String())
	}
	for _, d := range r.LogProblems {
		fmt.Fprintln(w, "  log: "+d.String())
	}
	switch {
	case r.Swapped && len(r.Differences) == 0:
		fmt.Fprintf(w, "nothing to swap: %s already equals the log (took %s)\n", r.Table, r.Took.Round(time.Millisecond))
	case r.Swapped:
		fmt.Fprintf(w, "swapped: %s and %s written onto %s, which now equals the log (took %s)\n",
			replay.Count(r.Written, "rebuilt snapshot", "rebuilt snapshots"), replay.Count(r.Removed, "tombstone", "tombstones"), r.Table, r.Took.Round(time.Millisecond))
	case dryRun:
		fmt.Fprintf(w, "dry run: %s left as it was (took %s)\n", r.Table, r.Took.Round(time.Millisecond))
	}
}

// timeTravel prints an aggregate as the log says it was at an instant.
func (r *replayCmd) timeTravel() error {
	typ, id, ok := strings.Cut(r.Aggregate, "/")
	if !ok || typ == "" || id == "" {
		return fmt.Errorf("--aggregate is TYPE/ID, e.g. order/3f0c…; types: %s", strings.Join(replay.Types(), ", "))
	}
	at := r.Until
	if at.IsZero() {
		at = time.Now()
	}
	return r.withEventLog(topics.RoleReplay, func(ctx context.Context, l *replay.Log) error {
		p, err := l.AsOf(ctx, typ, id, at)
		var notYet *replay.NotYetError
		if errors.As(err, &notYet) {
			return err
		}
		if err != nil {
			return fmt.Errorf("read the history of %s: %w", r.Aggregate, err)
		}
		out, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(out))
		fmt.Fprintf(os.Stderr, "v%d of %d, from %d records of partition %d read in %s\n", p.Version, p.LatestVersion, p.Scanned, p.Partition, p.Took.Round(time.Millisecond))
		return nil
	})
}
