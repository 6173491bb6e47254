package system

import (
	"errors"
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

func markClean(dir string, log *slog.Logger) {
	if err := os.WriteFile(filepath.Join(dir, cleanMarker), nil, 0o644); err != nil {
		log.Warn("could not mark the local state clean; the next start rebuilds it", "err", err)
	}
}
