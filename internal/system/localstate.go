package system

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// cleanMarker is written after a clean shutdown and removed at start.
const cleanMarker = ".clean-shutdown"

// prepareLocalState discards goka's local stores after an unclean stop.
//
// Goka writes its local store before Kafka acknowledges the table write,
// so after a crash the local state can be ahead of the table topic, and
// goka "recovers" by trusting its local offset. Rebuilding the stores from
// the table topics is the safe answer; the redelivered commands then
// re-emit whatever the crash lost (see processors/aggregate). After a
// clean stop the stores are kept and restart is warm.
func prepareLocalState(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	marker := filepath.Join(dir, cleanMarker)
	if _, err := os.Stat(marker); err == nil {
		return os.Remove(marker)
	}
	if len(entries) == 0 {
		return nil
	}
	log.Warn("the last run did not stop cleanly: rebuilding local state stores from the table topics", "dir", dir)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// markClean writes the marker that lets the next start keep the local
// stores. The stores write without fsync (they are caches of their table
// topics, internal/gokart), so the state directory is synced first, and
// the marker with it: a machine that loses power after a clean stop then
// finds either every store on disk and the marker, or no marker, and
// rebuilds.
func markClean(dir string, log *slog.Logger) {
	if err := syncTree(dir); err != nil {
		log.Warn("could not sync the local state stores to disk; the next start rebuilds them", "err", err)
		return
	}
	if err := writeSynced(filepath.Join(dir, cleanMarker)); err != nil {
		log.Warn("could not mark the local state clean; the next start rebuilds it", "err", err)
	}
}

// syncTree fsyncs every file and directory under dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		return syncPath(path)
	})
}

// writeSynced creates an empty file and syncs it and its directory.
func writeSynced(path string) error {
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	return errors.Join(syncPath(path), syncPath(filepath.Dir(path)))
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
