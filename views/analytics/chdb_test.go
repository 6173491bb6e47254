package analytics_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/views/analytics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// chdb is current ClickHouse embedded in a Node binding, which
// deploy/scripts/setup installs into ~/.cache/mallbots/chdb (or
// MALLBOTS_CHDB_DIR).
var chdb = testkit.NPM{Dir: "MALLBOTS_CHDB_DIR", Name: "chdb", Packages: []string{"chdb"},
	Why: "the check on current ClickHouse", Setup: "MALLBOTS_CHDB=1 ./deploy/scripts/setup"}

// requireChDB returns the node executable and the node_modules directory
// holding chdb, or skips (fails in CI) when either is missing.
func requireChDB(t *testing.T) (node, modules string) { return chdb.Require(t) }

// chdbResult is one statement's outcome, from testdata/chdb.js.
type chdbResult struct {
	CSV   *string `json:"csv"`
	Error *string `json:"error"`
}

// runChDB runs statements in order in a fresh chDB session and returns
// their results; it fails the test on the first statement chDB refuses.
func runChDB(t *testing.T, statements []string) []string {
	t.Helper()
	began := time.Now()
	results := execChDB(t, statements, false)
	out := make([]string, 0, len(results))
	for i, r := range results {
		if r.Error != nil {
			t.Fatalf("current ClickHouse (chDB) refused statement %d of %d:\n%s\n\n%s", i+1, len(statements), *r.Error, statements[i])
		}
		out = append(out, *r.CSV)
	}
	if len(out) != len(statements) {
		t.Fatalf("chdb.js answered %d of %d statements", len(out), len(statements))
	}
	t.Logf("chDB ran %d statements in %s", len(statements), time.Since(began).Round(time.Millisecond))
	return out
}

// execChDB runs statements in order in a fresh chDB session and returns
// each one's result or error; keepGoing runs the ones after an error too.
func execChDB(t *testing.T, statements []string, keepGoing bool) []chdbResult {
	t.Helper()
	node, modules := requireChDB(t)
	in, err := json.Marshal(statements)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "chdb.js"), filepath.Join(t.TempDir(), "session")}
	if keepGoing {
		args = append(args, "keep-going")
	}
	cmd := exec.Command(node, args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node testdata/chdb.js: %v\n%s", err, stderr.String())
	}
	var results []chdbResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("read chdb.js's answer: %v\n%s", err, stdout.String())
	}
	return results
}

// Every migration and every cookbook query runs on current ClickHouse
// (chDB), and the queries return there what the Go figures compute from
// the fixture: the same answers as on 18.16 (TestCookbookOnClickHouse18).
func TestMigrationsAndCookbookOnCurrentClickHouse(t *testing.T) {
	migrations, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	statements := []string{"SELECT version()", "CREATE DATABASE IF NOT EXISTS " + warehouse.Database}
	for _, m := range migrations {
		statements = append(statements, m.Statements...)
	}
	h, p := fixture(t)
	rows, err := analytics.WarehouseRows(h)
	if err != nil {
		t.Fatal(err)
	}
	inserts, err := rows.Statements()
	if err != nil {
		t.Fatal(err)
	}
	statements = append(statements, inserts...)
	queries := cookbook(t)
	first := len(statements)
	for _, q := range queries {
		sql, err := q.Bind(p)
		if err != nil {
			t.Fatal(err)
		}
		statements = append(statements, sql)
	}
	results := runChDB(t, statements)
	t.Logf("chDB is ClickHouse %s", strings.Trim(strings.TrimPrefix(results[0], `"version()"`), "\"\n "))
	for i, q := range queries {
		got, err := csv.NewReader(strings.NewReader(results[first+i])).ReadAll()
		if err != nil {
			t.Fatalf("%s: read chDB's CSV: %v", q.Name, err)
		}
		if len(got) > 0 {
			got = got[1:] // the header
		}
		want, err := analytics.Expected(q.Name, h, p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := analytics.Normalize(want)
		if err != nil {
			t.Fatal(err)
		}
		if d := analytics.Diff(w, got); d != "" {
			t.Errorf("%s: current ClickHouse and the Go figure differ:\n%s", q.Name, d)
		}
	}
}
