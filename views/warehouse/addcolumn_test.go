package warehouse

import (
	"context"
	"slices"
	"testing"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
)

// A migration that adds a column and was interrupted between its statement
// and its record is applied again without an error: 18.16 knows no ADD
// COLUMN IF NOT EXISTS, so Migrate takes "column already exists" for done
// when the column is there, and only then.
func TestAnInterruptedAddColumnMigrationIsAppliedAgain(t *testing.T) {
	ctx := context.Background()
	conn := chtest.Open(t, chtest.Start(t), chserver.DefaultUser)
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Every migration ran; the ones that add a column were not recorded.
	var interrupted []string
	for _, stmt := range bootstrap {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range all {
		adds := false
		for _, stmt := range m.Statements {
			if err := conn.Exec(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", m.Version, err)
			}
			adds = adds || addColumn.MatchString(stmt)
		}
		if adds {
			interrupted = append(interrupted, m.Version)
		} else if err := record(ctx, conn, m.Version); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(interrupted, "0020_products_category") {
		t.Fatalf("0020_products_category is not recognised as adding a column (found %v)", interrupted)
	}

	applied, err := Migrate(ctx, conn, chtest.Logger(t))
	if err != nil {
		t.Fatalf("re-applying %v: %v", interrupted, err)
	}
	if !slices.Equal(applied, interrupted) {
		t.Fatalf("applied %v, want %v", applied, interrupted)
	}

	// Only a column that is really there excuses the refusal.
	for _, c := range []struct{ name, stmt string }{
		{"an unknown table", "ALTER TABLE mallbots.no_such_table ADD COLUMN category String DEFAULT ''"},
		{"a syntax error", "ALTER TABLE mallbots.products ADD COLUMN category String DEFAULT ("},
		{"not an ADD COLUMN", "CREATE TABLE mallbots.products (id String) ENGINE = Memory"},
	} {
		err := conn.Exec(ctx, c.stmt)
		if err == nil {
			t.Fatalf("%s: %q succeeded", c.name, c.stmt)
		}
		if columnAlreadyAdded(ctx, conn, c.stmt, err) {
			t.Errorf("%s: %v was taken for a column already added", c.name, err)
		}
	}
	stmt := "alter table `mallbots`.`products` add column `category` String DEFAULT ''"
	if err := conn.Exec(ctx, stmt); err == nil || !columnAlreadyAdded(ctx, conn, stmt, err) {
		t.Errorf("%s: %v, want it taken for a column already added", stmt, err)
	}
}
