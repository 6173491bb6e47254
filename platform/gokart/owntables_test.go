package gokart

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// After a crash of the process, a processor's own table may be ahead of its
// topic and must be rebuilt; its copies of other tables, and the views,
// hold what the broker served up to their offset and can go on from there.
func TestRemovingTheOwnTablesKeepsTheCopiesOfOtherTables(t *testing.T) {
	dir := t.TempDir()
	c := New(dir)
	own := []string{
		"processors/mallbots.baskets/mallbots.baskets-table.0",
		"processors/mallbots.baskets/mallbots.baskets-table.7",
		"processors/mallbots.customers/mallbots.customers-table.3",
		"processors/mallbots.baskets/LOCK",                  // not a store: removed
		"processors/mallbots.baskets/mallbots.stores-table", // no partition: removed
	}
	copies := []string{
		"processors/mallbots.baskets/mallbots.customers-table.0",
		"processors/mallbots.baskets/mallbots.products-table.7",
		"views/api-customer/mallbots.customers-table.0",
	}
	for _, p := range append(slices.Clone(own), copies...) {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p, "000001.ldb"), []byte("a table"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	removed, err := c.RemoveOwnTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range own {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s was kept (stat: %v); a processor's own table must be rebuilt", p, err)
		}
		if !slices.Contains(removed, filepath.Join(dir, p)) {
			t.Errorf("%s is not among the removed %v", p, removed)
		}
	}
	for _, p := range copies {
		if _, err := os.Stat(filepath.Join(dir, p, "000001.ldb")); err != nil {
			t.Errorf("the copy %s was removed: %v", p, err)
		}
	}
	if len(removed) != len(own) {
		t.Errorf("removed %d paths, want %d: %v", len(removed), len(own), removed)
	}
}

func TestRemovingTheOwnTablesOfNoStateDirectoryDoesNothing(t *testing.T) {
	removed, err := New(filepath.Join(t.TempDir(), "none")).RemoveOwnTables()
	if err != nil || len(removed) != 0 {
		t.Fatalf("got %v, %v; want nothing removed and no error", removed, err)
	}
}
