package system

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/mallbots/mallbots/platform/gokart"
)

const (
	ownTable  = "processors/mallbots.baskets/mallbots.baskets-table.0"
	copyTable = "processors/mallbots.baskets/mallbots.customers-table.0"
	viewTable = "views/api-customer/mallbots.customers-table.0"
)

// startsAfter runs a start that finds the stores a first run left (the
// first run was under boot bootBefore and stopped as stop says) under
// bootNow, and says which of the three stores are kept.
func startsAfter(t *testing.T, bootBefore string, stop func(dir string), bootNow string) (own, copied, view bool) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gc := gokart.New(t.TempDir())
	if err := prepareLocalState(gc, bootBefore, log); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ownTable, copyTable, viewTable} {
		path := filepath.Join(gc.StateDir(), p, "000001.ldb")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("a table"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stop(gc.StateDir())
	if err := prepareLocalState(gc, bootNow, log); err != nil {
		t.Fatal(err)
	}
	kept := func(p string) bool {
		_, err := os.Stat(filepath.Join(gc.StateDir(), p, "000001.ldb"))
		return err == nil
	}
	return kept(ownTable), kept(copyTable), kept(viewTable)
}

func clean(dir string) { markClean(dir, slog.New(slog.NewTextHandler(io.Discard, nil))) }
func crash(string)     {}

// The stores write without fsync. A clean stop syncs them and marks the
// state clean, so the next start keeps all of them.
func TestAStartAfterACleanStopKeepsEveryStore(t *testing.T) {
	own, copied, view := startsAfter(t, "boot-1", clean, "boot-1")
	if !own || !copied || !view {
		t.Fatalf("kept: own table %v, copy %v, view %v; want all kept", own, copied, view)
	}
	own, copied, view = startsAfter(t, "boot-1", clean, "boot-2")
	if !own || !copied || !view {
		t.Fatalf("after a clean stop and a reboot, kept: own table %v, copy %v, view %v; want all kept", own, copied, view)
	}
}

// After the process alone crashed, what the stores wrote is in the page
// cache: the copies of other tables and the views are the topic up to their
// offset, while a processor's own table may be ahead of its topic.
func TestAStartAfterTheProcessCrashedRebuildsOnlyTheProcessorsOwnTables(t *testing.T) {
	own, copied, view := startsAfter(t, "boot-1", crash, "boot-1")
	if own {
		t.Error("the processor's own table was kept; it can be ahead of its topic and must be rebuilt")
	}
	if !copied || !view {
		t.Errorf("kept: copy %v, view %v; want both kept", copied, view)
	}
}

// After the machine went down, nothing said what reached the disk.
func TestAStartAfterTheMachineRestartedRebuildsEveryStore(t *testing.T) {
	for _, c := range []struct{ name, before, now string }{
		{"another boot", "boot-1", "boot-2"},
		{"no boot id now", "boot-1", ""},
		{"no boot id then", "", "boot-1"},
		{"no boot id at all", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			own, copied, view := startsAfter(t, c.before, crash, c.now)
			if own || copied || view {
				t.Fatalf("kept: own table %v, copy %v, view %v; want every store rebuilt", own, copied, view)
			}
		})
	}
}
