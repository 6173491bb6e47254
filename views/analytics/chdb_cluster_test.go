package analytics_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/views/warehouse"
)

// chdbCode is the code of a chDB error message ("Code: 701. DB::Exception:
// …"), 0 for none, -1 when the message has none.
func chdbCode(r chdbResult) int {
	if r.Error == nil {
		return 0
	}
	m := regexp.MustCompile(`Code: (\d+)\.`).FindStringSubmatch(*r.Error)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// sqlString quotes s as a ClickHouse string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// The clustered migrations (--clickhouse-cluster) are valid SQL on current
// ClickHouse (chDB), which has no cluster and no ZooKeeper: each statement
// parses and formats back with its ON CLUSTER and its Replicated engine
// (formatQuery); as written, it is refused only because the cluster is
// unknown (701) or distributed DDL is off (392), never as a syntax error
// (62); and each table without ON CLUSTER only because a replicated table
// needs ZooKeeper (225), after its engine, arguments and version column
// were checked. The same checks on 18.16: warehouse's
// TestClusterMigrationsAreValidOnClickHouse18.
func TestClusterMigrationsAreValidOnCurrentClickHouse(t *testing.T) {
	clustered, err := warehouse.ClusterMigrations("mall")
	if err != nil {
		t.Fatal(err)
	}
	type check struct {
		stmt  string
		wants string // what the result must be
		ok    func(chdbResult) bool
	}
	var checks []check
	for _, m := range clustered {
		for _, stmt := range m.Statements {
			checks = append(checks,
				check{"SELECT formatQuery(" + sqlString(stmt) + ")", "formatted with ON CLUSTER mall (and a Replicated engine for a table)", func(r chdbResult) bool {
					return r.CSV != nil && strings.Contains(*r.CSV, "ON CLUSTER mall") &&
						(!strings.Contains(stmt, "CREATE TABLE") || strings.Contains(*r.CSV, "ENGINE = Replicated"))
				}},
				check{stmt, "code 701 or 392 (no such cluster, no distributed DDL)", func(r chdbResult) bool {
					c := chdbCode(r)
					return c == 701 || c == 392
				}})
			local := warehouse.LocalForm(stmt, "mall", "01", "replica-1")
			switch {
			case strings.Contains(local, "CREATE DATABASE"):
				checks = append(checks, check{local, "success", func(r chdbResult) bool { return r.Error == nil }})
			case strings.Contains(local, "CREATE TABLE"):
				checks = append(checks, check{local, "code 225 (no ZooKeeper)", func(r chdbResult) bool { return chdbCode(r) == 225 }})
			}
		}
	}
	statements := make([]string, len(checks))
	for i, c := range checks {
		statements[i] = c.stmt
	}
	results := execChDB(t, statements, true)
	if len(results) != len(checks) {
		t.Fatalf("chdb.js answered %d of %d statements", len(results), len(checks))
	}
	for i, c := range checks {
		if !c.ok(results[i]) {
			got := "no error"
			if results[i].Error != nil {
				got = *results[i].Error
			} else if results[i].CSV != nil {
				got = *results[i].CSV
			}
			t.Errorf("chDB: want %s, got %s\n%s", c.wants, got, c.stmt)
		}
	}
	t.Logf("%d checks over the %d clustered migrations on chDB", len(checks), len(clustered))
}
