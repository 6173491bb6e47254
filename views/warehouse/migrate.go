package warehouse

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationName is NNNN_name.sql; the version recorded is the name without
// ".sql", so files sort, and apply, in numeric order.
var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// Migration is one embedded migration file.
type Migration struct {
	Version    string   // file name without .sql, e.g. "0001_events"
	Statements []string // in file order, without the separating semicolons
}

// Migrations returns the embedded migrations in the order Migrate applies
// them. Other runners (a chDB check of the SQL on current ClickHouse, the
// docs) read them from here.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("warehouse: read embedded migrations: %w", err)
	}
	var out []Migration
	seen := map[string]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("warehouse: migration file %q is not named NNNN_name.sql: rename it", e.Name())
		}
		if prev, dup := seen[m[1]]; dup {
			return nil, fmt.Errorf("warehouse: migrations %q and %q share the number %s: renumber one", prev, e.Name(), m[1])
		}
		seen[m[1]] = e.Name()
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("warehouse: read migration %s: %w", e.Name(), err)
		}
		stmts := splitStatements(string(b))
		if len(stmts) == 0 {
			return nil, fmt.Errorf("warehouse: migration %s has no statement", e.Name())
		}
		out = append(out, Migration{Version: strings.TrimSuffix(e.Name(), ".sql"), Statements: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// bootstrap creates what recording migrations needs. ReplacingMergeTree
// keyed by version: two instances migrating at once both apply the
// (idempotent) statements and both record them, and the duplicate rows
// collapse.
var bootstrap = []string{
	"CREATE DATABASE IF NOT EXISTS " + Database,
	"CREATE TABLE IF NOT EXISTS " + Database + ".schema_migrations (version String, applied_at DateTime('UTC')) " +
		"ENGINE = ReplacingMergeTree() ORDER BY version",
}

// Migrate brings the warehouse schema up to date: it creates the mallbots
// database and mallbots.schema_migrations if missing, then applies, in
// order, every embedded migration not yet recorded there, recording each
// after all its statements succeeded. It returns the versions it applied
// (none when the schema was current). conn needs DDL rights (the server's
// default user; the analyst user cannot migrate).
//
// A migration interrupted between its statements and its record is applied
// again next time, so every statement is idempotent (IF NOT EXISTS and the
// like; an ALTER TABLE … ADD COLUMN, which 18.16 cannot write with IF NOT
// EXISTS, counts as done when its column exists: see addcolumn.go). A version recorded by a newer binary and unknown to this one is
// logged and left alone: migrations only add. OnCluster runs them on a
// cluster of replicated tables (cluster.go).
func Migrate(ctx context.Context, conn driver.Conn, log *slog.Logger, opts ...MigrateOption) (applied []string, err error) {
	if log == nil {
		log = slog.Default()
	}
	var cfg migrateConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	all, err := ClusterMigrations(cfg.cluster)
	if err != nil {
		return nil, err
	}
	boot := all[0].Statements
	all = all[1:]
	for _, stmt := range boot {
		if err := conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("warehouse: prepare migrations (%s): %w (check that the ClickHouse user may create databases)", stmt, err)
		}
	}
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, m := range all {
		known[m.Version] = true
		if done[m.Version] {
			continue
		}
		began := time.Now()
		for i, stmt := range m.Statements {
			if err := conn.Exec(ctx, stmt); err != nil && !columnAlreadyAdded(ctx, conn, stmt, err) {
				return applied, fmt.Errorf("warehouse: migration %s, statement %d of %d: %w (fix the migration or the server; applied so far: %v)",
					m.Version, i+1, len(m.Statements), err, applied)
			}
		}
		if err := record(ctx, conn, m.Version); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
		log.Info("applied ClickHouse migration", "version", m.Version, "took", time.Since(began).Round(time.Millisecond))
	}
	for v := range done {
		if !known[v] {
			log.Warn("ClickHouse schema has a migration this binary does not know; a newer release applied it", "version", v)
		}
	}
	return applied, nil
}

func appliedVersions(ctx context.Context, conn driver.Conn) (map[string]bool, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM "+Database+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("warehouse: read applied migrations: %w", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("warehouse: read applied migrations: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: read applied migrations: %w", err)
	}
	return done, nil
}

// record inserts the version with a column-listed batch insert: the form
// that works with clickhouse-go against 18.16 (INSERT … VALUES through Exec
// hangs there).
func record(ctx context.Context, conn driver.Conn, version string) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+Database+".schema_migrations (version, applied_at)")
	if err != nil {
		return fmt.Errorf("warehouse: record migration %s: %w", version, err)
	}
	if err := b.Append(version, time.Now().UTC()); err != nil {
		_ = b.Abort()
		return fmt.Errorf("warehouse: record migration %s: %w", version, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("warehouse: record migration %s: %w (its statements ran; it will be applied again, harmlessly, next time)", version, err)
	}
	return nil
}
