package system

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// The stores write without fsync, so what makes a restart warm is the
// marker a clean stop writes once it has synced them; any other stop
// rebuilds them from the table topics.
func TestAStartKeepsTheLocalStoresOnlyAfterACleanStop(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	store := filepath.Join(dir, "processors", "mallbots.customers", "mallbots.customers-table.0", "000001.ldb")
	if err := prepareLocalState(dir, log); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(store), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(store, []byte("a table"), 0o644); err != nil {
		t.Fatal(err)
	}

	markClean(dir, log)
	if err := prepareLocalState(dir, log); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(store); err != nil {
		t.Fatalf("after a clean stop the store was not kept: %v", err)
	}

	// This run stops without marking the state clean (a crash).
	if err := prepareLocalState(dir, log); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("after an unclean stop the store was kept (stat: %v); it must be rebuilt from its table topic", err)
	}
}
