package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
)

// replayProjection rebuilds a ClickHouse projection from the log into new
// tables and swaps them in (warehouse.Rebuild), printing progress every
// second. NAME is a projection (events, state, notifications, search,
// analytics: all its tables) or one table (orders: that table alone, read
// from the topics that feed it). The live projection keeps running. The
// ClickHouse user is MALLBOTS_CLICKHOUSE_USER (default "default", the
// managed server's administrator; the writer user can too) with
// MALLBOTS_CLICKHOUSE_PASSWORD.
func (r *replayCmd) replayProjection() error {
	ctx, stop := interruptible()
	defer stop()
	sd, err := openSerde(ctx, r.SchemaRegistry)
	if err != nil {
		return err
	}
	p, tables, err := pickProjection(projections.All(sd), r.Projection)
	if err != nil {
		return err
	}
	user, password, err := clickHouseCredentials("default")
	if err != nil {
		return err
	}
	kafka, err := r.kgoOpts(r.Brokers, topics.RoleReplay)
	if err != nil {
		return err
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{r.Clickhouse}, DialTimeout: 5 * time.Second,
		Auth: clickhouse.Auth{Username: user, Password: password},
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("reach ClickHouse at %s as %s (--clickhouse, MALLBOTS_CLICKHOUSE_USER): %w", r.Clickhouse, user, err)
	}

	what := p.Name + " (" + strings.Join(tables, ", ") + ")"
	fmt.Printf("rebuilding %s from %s\n", what, strings.Join(topicsOf(p, tables), ", "))
	res, err := warehouse.Rebuild(ctx, kafka, conn, p,
		warehouse.RebuildTables(tables...), warehouse.RebuildSources(projections.Sources(p)),
		warehouse.RebuildLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		warehouse.RebuildProgressFunc(time.Second, func(pr warehouse.RebuildProgress) { printProgress(os.Stdout, pr) }))
	if err != nil {
		return err
	}
	for _, t := range res.Tables {
		fmt.Printf("%s: %d rows inserted into %s, swapped in (the previous table, moved to %s, was dropped)\n",
			t.Name, t.Rows, t.Shadow, t.Replaced)
	}
	fmt.Printf("rebuilt %s from %d records (%d skipped) in %s\n", what, res.Records, res.Skipped, res.Took.Round(time.Millisecond))
	if res.Skipped > 0 {
		return fmt.Errorf("%d records could not be mapped and are missing from the rebuilt tables; see the errors above", res.Skipped)
	}
	return nil
}

func openSerde(ctx context.Context, registry string) (*serde.Serde, error) {
	client, err := registryClient(registry)
	if err != nil {
		return nil, err
	}
	sd, err := contract.NewSerde(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("reach the schema registry at %s (--schema-registry): %w", registry, err)
	}
	return sd, nil
}

// pickProjection finds NAME among the projections, then among their
// tables.
func pickProjection(all []warehouse.Projection, name string) (warehouse.Projection, []string, error) {
	var names, tables []string
	for _, p := range all {
		if p.Name == name {
			for _, t := range p.Tables {
				tables = append(tables, t.Name)
			}
			return p, tables, nil
		}
		names = append(names, p.Name)
	}
	if p, ok := projections.ByTable(all, name); ok {
		return p, []string{name}, nil
	}
	for _, p := range all {
		for _, t := range p.Tables {
			tables = append(tables, t.Name)
		}
	}
	return warehouse.Projection{}, nil, fmt.Errorf("no projection or table %q: choose a projection (%s) or a table (%s)",
		name, strings.Join(names, ", "), strings.Join(tables, ", "))
}

// topicsOf lists the topics a rebuild of tables reads.
func topicsOf(p warehouse.Projection, tables []string) []string {
	sources := projections.Sources(p)
	var out []string
	for _, t := range tables {
		feeds, ok := sources[t]
		if !ok {
			return p.Topics
		}
		for _, f := range feeds {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func printProgress(w io.Writer, p warehouse.RebuildProgress) {
	pct := 100.0
	if p.Total > 0 {
		pct = 100 * float64(p.Records) / float64(p.Total)
	}
	rate := float64(p.Records) / max(p.Elapsed.Seconds(), 0.001)
	state := ""
	if p.Done {
		state = " · done"
	}
	fmt.Fprintf(w, "  %-8s %d/%d records (%.0f%%) · %d rows · %.0f records/s · %s%s\n",
		p.Phase, p.Records, p.Total, pct, p.Rows, rate, p.Elapsed.Round(time.Millisecond), state)
}
