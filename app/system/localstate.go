package system

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mallbots/mallbots/platform/durable"
	"github.com/mallbots/mallbots/platform/gokart"
)

// cleanMarker is written after a clean shutdown and removed at start.
const cleanMarker = ".clean-shutdown"

// bootMarker holds the boot id of the machine (Linux's
// /proc/sys/kernel/random/boot_id) under which the stores were last
// written: written at start, read after an unclean stop.
const bootMarker = ".boot-id"

// prepareLocalState decides, at start, which of goka's local stores the
// last run left can be kept; boot is the machine's current boot id ("" when
// unknown).
//
//   - After a clean stop, all of them: the stop synced them (markClean).
//   - After a crash of the process alone (the boot id is the one the last
//     run recorded), the copies of other tables that processors look up and
//     the views' stores: they hold what the broker served up to an offset,
//     everything they wrote is in the kernel's page cache, and goka goes on
//     from that offset. A processor's own table is rebuilt from its topic:
//     goka writes it before Kafka acknowledges, so it can be ahead of the
//     topic, and goka "recovers" by trusting its local offset. The
//     redelivered commands then re-emit whatever the crash lost (see
//     processors/aggregate). With 1,000,000 customers this is the difference
//     between one copy of the customers table rebuilt and five.
//   - After the machine went down, or when the boot id cannot be read, none:
//     the stores write without fsync, so what they hold on disk is unknown.
func prepareLocalState(gc gokart.Runtime, boot string, log *slog.Logger) error {
	dir := gc.StateDir()
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return recordBoot(dir, boot)
	case err != nil:
		return err
	}
	marker := filepath.Join(dir, cleanMarker)
	if _, err := os.Stat(marker); err == nil {
		if err := os.Remove(marker); err != nil {
			return err
		}
		return recordBoot(dir, boot)
	}
	if len(entries) == 0 {
		return recordBoot(dir, boot)
	}
	last, _ := os.ReadFile(filepath.Join(dir, bootMarker))
	if boot != "" && string(last) == boot {
		removed, err := gc.RemoveOwnTables()
		if err != nil {
			return err
		}
		log.Warn("the last run did not stop cleanly, but the machine has not restarted since: the copies of other tables and the views are kept, the processors' own tables are rebuilt from their topics",
			"dir", dir, "removed", len(removed))
		return recordBoot(dir, boot)
	}
	log.Warn("the last run did not stop cleanly: rebuilding local state stores from the table topics", "dir", dir)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return recordBoot(dir, boot)
}

// recordBoot writes the boot id the stores are written under. It needs no
// fsync: a file that a crash of the machine kept names the boot before it.
func recordBoot(dir, boot string) error {
	path := filepath.Join(dir, bootMarker)
	if boot == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return os.WriteFile(path, []byte(boot), 0o644)
}

// bootID is the machine's boot id, "" where there is none (not Linux).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// markClean writes the marker that lets the next start keep the local
// stores. The stores write without fsync (they are caches of their table
// topics, platform/gokart), so the state directory is synced first, and
// the marker with it: a machine that loses power after a clean stop then
// finds either every store on disk and the marker, or no marker, and
// rebuilds.
func markClean(dir string, log *slog.Logger) {
	if err := durable.SyncTree(dir); err != nil {
		log.Warn("could not sync the local state stores to disk; the next start rebuilds them", "err", err)
		return
	}
	if err := durable.Touch(filepath.Join(dir, cleanMarker)); err != nil {
		log.Warn("could not mark the local state clean; the next start rebuilds it", "err", err)
	}
}
