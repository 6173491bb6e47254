package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// RebuildOption configures Rebuild.
type RebuildOption func(*rebuildConfig)

type rebuildConfig struct {
	force, dryRun bool
	progress      io.Writer // nil: none
}

// RebuildForce writes the live table even while the group has active
// members. A running processor does not re-read its table: it keeps
// deciding from its own copy and overwrites what the rebuild wrote whenever
// a command reaches that aggregate. Default off: Rebuild refuses.
func RebuildForce() RebuildOption { return func(c *rebuildConfig) { c.force = true } }

// RebuildDryRun rebuilds and compares, and leaves the live table alone (and
// the rebuild topic in place, to inspect). Default off.
func RebuildDryRun() RebuildOption { return func(c *rebuildConfig) { c.dryRun = true } }

// RebuildProgress sends progress lines to w. Default: none.
func RebuildProgress(w io.Writer) RebuildOption { return func(c *rebuildConfig) { c.progress = w } }

// RebuildReport is what Rebuild did.
type RebuildReport struct {
	Group, Table, Topic string
	// Events were read from the event topic; Duplicates of them skipped.
	Events, Duplicates int64
	// Rebuilt snapshots were written to Topic; Live were in the live table.
	Rebuilt, Live int
	// Matching live snapshots equal their rebuild; Differences lists the
	// others, one per aggregate (live table against the rebuild).
	Matching    int
	Differences []Discrepancy
	// LogProblems are the log's own discrepancies: a rebuild refuses them.
	LogProblems []Discrepancy
	// ActiveMembers of the group when the rebuild began.
	ActiveMembers []string
	// Written and Removed count the records the swap put onto the live
	// table (rebuilt snapshots, tombstones); Swapped says the live table
	// now equals the rebuild (also when nothing differed).
	Written, Removed int
	Swapped          bool
	Took             time.Duration
}

// GroupActiveError refuses to write a table whose group is running.
type GroupActiveError struct {
	Group   string
	Members []string
}

func (e *GroupActiveError) Error() string {
	return fmt.Sprintf("group %s has %s (%s): stop it first (e.g. restart with `mallbots run --components all,-%s`), or pass --force to write its table anyway",
		e.Group, Count(len(e.Members), "active member", "active members"), strings.Join(e.Members, ", "), strings.TrimPrefix(e.Group, "mallbots."))
}

// Rebuild rebuilds a group's state table from its event topic: it folds
// the whole log into topics.RebuildOf(group) (a new compacted topic), reads
// that back and compares it with the live table, then swaps it in. Goka
// fixes a group's table name, so the swap writes onto the live table, as
// newer records, the rebuilt snapshot of every aggregate that differs (a
// tombstone for one the log does not know); compaction keeps the newest, and
// goka's local stores, views and lookups read the new records as they read
// any. Equal snapshots are left as they are (they keep their exact window
// of recent commands). The live table is then read again to prove it
// equals the rebuild, and the rebuild topic is deleted. See docs/adr/0010.
//
// It refuses while the group has active members unless RebuildForce, and
// refuses a log with discrepancies (run Verify).
func (l *Log) Rebuild(ctx context.Context, group string, opts ...RebuildOption) (*RebuildReport, error) {
	var o rebuildConfig
	for _, opt := range opts {
		opt(&o)
	}
	k, err := find(group)
	if err != nil {
		return nil, err
	}
	a := k.names()
	start := time.Now()
	r := &RebuildReport{Group: a.Group, Table: a.Table.Name, Topic: topics.RebuildOf(a.Group)}
	defer func() { r.Took = time.Since(start) }()
	if r.ActiveMembers, err = l.activeMembers(ctx, a.Group); err != nil {
		return r, err
	}
	if len(r.ActiveMembers) > 0 && !o.force && !o.dryRun {
		return r, &GroupActiveError{Group: a.Group, Members: r.ActiveMembers}
	}
	committed, err := admin.CommittedOffsets(ctx, l.adm, a.Group, a.Commands.Name)
	if err != nil {
		return r, err
	}
	f, err := l.foldLog(ctx, k, foldOptions{keepRecent: true, progress: o.progress})
	if err != nil {
		return r, err
	}
	r.Events, r.Duplicates, r.LogProblems = f.records, f.duplicates(), f.allProblems()
	if len(r.LogProblems) > 0 {
		return r, fmt.Errorf("the log of %s has %s (first: %s): refusing to rebuild a table from it; run `mallbots verify`", a.Type, Count(len(r.LogProblems), "discrepancy", "discrepancies"), r.LogProblems[0])
	}
	rebuilt, live, err := l.writeRebuild(ctx, k, f.snapshots(committed), o.progress)
	if err != nil {
		return r, err
	}
	r.Rebuilt, r.Live = len(rebuilt.entries), len(live.entries)
	r.Matching, r.Differences = compare(k, values(rebuilt), live, nil)
	if o.dryRun || len(r.Differences) == 0 {
		r.Swapped = !o.dryRun
		return r, l.dropRebuild(ctx, r, o.dryRun)
	}
	if err := l.swap(ctx, k, rebuilt, r); err != nil {
		return r, err
	}
	return r, l.dropRebuild(ctx, r, false)
}

// activeMembers lists the members of a group (client id@host).
func (l *Log) activeMembers(ctx context.Context, group string) ([]string, error) {
	gs, err := l.adm.DescribeGroups(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("describe group %s: %w", group, err)
	}
	g, ok := gs[group]
	if !ok {
		return nil, nil
	}
	if errors.Is(g.Err, kerr.GroupIDNotFound) {
		return nil, nil // never joined: nobody runs it
	}
	if g.Err != nil {
		return nil, fmt.Errorf("describe group %s: %w", group, g.Err)
	}
	var out []string
	for _, m := range g.Members {
		out = append(out, m.ClientID+"@"+m.ClientHost)
	}
	return out, nil
}

// values are the sound snapshots of a rebuilt table.
func values(t *table) map[string]tableValue {
	out := make(map[string]tableValue, len(t.entries))
	for id, e := range t.entries {
		if e.err == nil {
			out[id] = e.val
		}
	}
	return out
}

func (l *Log) dropRebuild(ctx context.Context, r *RebuildReport, keep bool) error {
	if keep {
		return nil
	}
	resps, err := l.adm.DeleteTopics(ctx, r.Topic)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return fmt.Errorf("delete %s after the swap (delete it by hand; the swap is done): %w", r.Topic, err)
	}
	return nil
}
