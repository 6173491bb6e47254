package warehouse_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
)

// On a cluster, every migration statement runs ON CLUSTER, and every table
// is replicated, with its own replication path and the server's replica
// macro; the engine's own arguments (the version column) follow them.
func TestEveryMigrationTargetsTheClusterWithReplicatedTables(t *testing.T) {
	plain, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	clustered, err := warehouse.ClusterMigrations("mall")
	if err != nil {
		t.Fatal(err)
	}
	if len(clustered) != len(plain)+1 || clustered[0].Version != "0000_bootstrap" {
		t.Fatalf("%d cluster migrations, want the bootstrap and the %d migrations", len(clustered), len(plain))
	}
	engine := regexp.MustCompile(`ENGINE = Replicated(\w*)MergeTree\('/clickhouse/tables/\{shard\}/mallbots/(\w+)', '\{replica\}'(, \w+)?\)`)
	table := regexp.MustCompile(`CREATE TABLE IF NOT EXISTS mallbots\.(\w+) ON CLUSTER mall\s*\(`)
	tables := map[string]bool{}
	for _, m := range clustered {
		for _, stmt := range m.Statements {
			switch {
			case strings.Contains(stmt, "CREATE TABLE"):
				tm, em := table.FindStringSubmatch(stmt), engine.FindStringSubmatch(stmt)
				if tm == nil || em == nil || tm[1] != em[2] {
					t.Errorf("%s: not ON CLUSTER mall with a Replicated engine on its own path:\n%s", m.Version, stmt)
					continue
				}
				if tables[tm[1]] {
					t.Errorf("%s: two tables share the replication path of %s", m.Version, tm[1])
				}
				tables[tm[1]] = true
			case strings.Contains(stmt, "CREATE DATABASE"):
				if !strings.HasSuffix(stmt, "CREATE DATABASE IF NOT EXISTS mallbots ON CLUSTER mall") {
					t.Errorf("%s: %s", m.Version, stmt)
				}
			default:
				if !regexp.MustCompile(`ALTER TABLE mallbots\.\w+ ON CLUSTER mall ADD COLUMN `).MatchString(stmt) {
					t.Errorf("%s: not ON CLUSTER mall: %s", m.Version, stmt)
				}
			}
		}
	}
	if !tables["schema_migrations"] || !tables["events"] {
		t.Errorf("replicated tables %v lack schema_migrations or events", tables)
	}
	// The version column stays the engine's last argument.
	for _, m := range clustered {
		for _, stmt := range m.Statements {
			if strings.Contains(stmt, "mallbots.stores ON CLUSTER") && !strings.Contains(stmt, "'{replica}', version)") {
				t.Errorf("stores lost its version column: %s", stmt)
			}
		}
	}
}

// Without a cluster, the statements are the migrations as written.
func TestWithoutAClusterTheStatementsAreUnchanged(t *testing.T) {
	plain, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range plain {
		for _, stmt := range m.Statements {
			if got, err := warehouse.ForCluster(stmt, ""); err != nil || got != stmt {
				t.Fatalf("%s changed without a cluster: %v\n%s", m.Version, err, got)
			}
		}
	}
}

// A statement of a form the rewrite does not know, or a cluster name ON
// CLUSTER cannot take, is refused rather than run unreplicated.
func TestAnUnknownStatementOrABadClusterNameIsRefused(t *testing.T) {
	for _, c := range []struct{ stmt, cluster string }{
		{"DROP TABLE mallbots.stores", "mall"},
		{"CREATE TABLE IF NOT EXISTS mallbots.x (a UInt8) ENGINE = Log", "mall"},
		{"CREATE DATABASE IF NOT EXISTS mallbots", "mall; DROP DATABASE x"},
		{"CREATE DATABASE IF NOT EXISTS mallbots", "1st"},
	} {
		if got, err := warehouse.ForCluster(c.stmt, c.cluster); err == nil {
			t.Errorf("ForCluster(%q, %q) = %q, want an error", c.stmt, c.cluster, got)
		}
	}
}

// The clustered migrations are valid SQL on ClickHouse 18.16 (the managed
// server), which has no cluster and no ZooKeeper here: each statement as
// written is refused only because the cluster is unknown (code 170, after
// it parsed: a syntax error is refused first, code 62), and each table
// without ON CLUSTER only because a replicated table needs ZooKeeper (code
// 225, after its engine, arguments and version column were checked: a
// wrong argument count is 42, an unknown version column 16).
func TestClusterMigrationsAreValidOnClickHouse18(t *testing.T) {
	srv := chtest.Start(t)
	conn := chtest.Open(t, srv, chserver.DefaultUser)
	ctx := context.Background()
	clustered, err := warehouse.ClusterMigrations("mall")
	if err != nil {
		t.Fatal(err)
	}
	const (
		codeClusterNotFound = 170
		codeNoZooKeeper     = 225
	)
	var n int
	for _, m := range clustered {
		for i, stmt := range m.Statements {
			if code := exceptionCode(conn.Exec(ctx, stmt)); code != codeClusterNotFound {
				t.Errorf("%s, statement %d: 18.16 answered code %d, want %d (cluster not found, after the parse):\n%s", m.Version, i+1, code, codeClusterNotFound, stmt)
			}
			local := warehouse.LocalForm(stmt, "mall", "01", "replica-1")
			switch {
			case strings.Contains(local, "CREATE DATABASE"):
				if err := conn.Exec(ctx, local); err != nil {
					t.Fatalf("%s: %v", local, err)
				}
			case strings.Contains(local, "CREATE TABLE"):
				if code := exceptionCode(conn.Exec(ctx, local)); code != codeNoZooKeeper {
					t.Errorf("%s, statement %d without ON CLUSTER: 18.16 answered code %d, want %d (no ZooKeeper, after every other check):\n%s", m.Version, i+1, code, codeNoZooKeeper, local)
				}
			}
			n++
		}
	}
	t.Logf("%d clustered statements checked on 18.16", n)
}

// exceptionCode is a ClickHouse exception's code, 0 for none, -1 for
// another error.
func exceptionCode(err error) int32 {
	if err == nil {
		return 0
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return ex.Code
	}
	return -1
}
