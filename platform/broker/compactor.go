package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kfake compacts on its request goroutine: every compacted topic is read
// back from disk twice and rewritten, and meanwhile the broker answers
// nothing. On its own timer (log.cleaner.backoff.ms) that froze the broker
// for 1.5–3 s once a minute in `mallbots bench`, longer as the state tables
// grew, whether or not anything had changed (docs/benchmarks.md). So the
// broker's timer is off and the compactor below decides, as Kafka's
// log cleaner does with min.cleanable.dirty.ratio = 0.5: it compacts when
// the compacted topics have at least doubled since the last compaction
// (and grown by WithMinDirtyBytes at least). Each compaction then reads at most
// twice what was written since the previous one, so its cost is paid by
// the writes, and a table that does not change is not read again. Since
// the broker stops while it compacts, compactions are also at least
// WithMinCompactInterval apart: under 10,000 snapshot writes a second the
// tables doubled every 10–20 s, and pausing that often was worse than
// the timer.
//
// The size the last compaction left is kept in the broker's directory
// (cleanFile): with it held in memory only, every start compacted at its
// first check, since anything is double nothing. At 1,000,000 customers
// that paused the broker for 15–30 s just after each start, and a kill -9
// during kfake's compaction loses data (it deletes a partition's segments
// before it writes their compacted copies).

// neverMs is kfake's compaction interval when the compactor decides.
const neverMs = int64(100 * 365 * 24 * time.Hour / time.Millisecond)

type compactor struct {
	cluster  *kfake.Cluster
	admin    *kadm.Client
	every    time.Duration
	minDirty int64
	// minInterval is the least time between two compactions.
	minInterval time.Duration
	last        time.Time
	log         *slog.Logger
	// clean is the compacted topics' size after the last compaction.
	clean int64
	// cleanFile keeps clean across restarts.
	cleanFile string
	// dir is the broker's directory; fence holds produce requests off
	// while a compaction's backup stands (backup.go).
	dir   string
	fence *produceFence
}

// cleanFileName is the file under the broker's directory that holds the
// compacted topics' size after the last compaction, in bytes.
const cleanFileName = "mallbots-compacted-bytes"

// loadClean reads the size the last compaction left; 0 when none is
// recorded (a new directory, or one from before the file existed: the
// first check then compacts, as it always did).
func loadClean(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s holds %q, not a size in bytes: %w (remove it: the broker then compacts at its first check)", path, b, err)
	}
	return n, nil
}

// saveClean writes n to path through a temporary file, so that a crash
// leaves the old size or the new one.
func saveClean(path string, n int64) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, strconv.AppendInt(nil, n, 10), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// run checks every c.every until ctx ends.
func (c *compactor) run(ctx context.Context) {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.check(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("the embedded broker's compaction check failed; it is tried again", "component", "kafka", "err", err)
		}
	}
}

// check compacts when the compacted topics are dirty enough and says
// whether it did. Retention (time and size) is applied at every check: it
// only drops whole batches by their metadata, without reading them.
func (c *compactor) check(ctx context.Context) (bool, error) {
	if c.fence.up() {
		if err := c.lowerFence(); err != nil {
			return false, err
		}
	}
	c.cluster.ApplyRetention()
	if time.Since(c.last) < c.minInterval {
		return false, nil
	}
	size, parts, err := c.compacted(ctx)
	if err != nil {
		return false, err
	}
	// Topics deleted since: what is left is the new baseline.
	c.clean = min(c.clean, size)
	if dirty := size - c.clean; dirty < max(c.clean, c.minDirty) {
		return false, nil
	}
	began := time.Now()
	compacted, err := c.compactBackedUp(parts)
	if !compacted {
		return false, err
	}
	if err != nil {
		c.log.Warn("compacted, with a problem after", "component", "kafka", "err", err)
	}
	took := time.Since(began)
	c.last = time.Now()
	after, err := c.compactedBytes(ctx)
	if err != nil {
		return true, err
	}
	c.clean = after
	if err := saveClean(c.cleanFile, after); err != nil {
		c.log.Warn("could not record the compacted topics' size; the next start compacts at its first check", "component", "kafka", "err", err)
	}
	c.log.Info("compacted the compacted topics (the broker answered nothing meanwhile)", "component", "kafka",
		"bytes_before", size, "bytes_after", after, "took", took.Round(time.Millisecond))
	return true, nil
}

// compactBackedUp compacts with the compacted partitions backed up and
// produce requests fenced off meanwhile (backup.go), and says whether it
// compacted; an error with true is about what came after.
func (c *compactor) compactBackedUp(parts []topicPartition) (bool, error) {
	c.fence.raise()
	// A round trip through the broker's request loop: every produce
	// request it took before the fence went up is written (backup.go).
	c.cluster.ApplyRetention()
	var failed error
	compacted := false
	if err := backUp(c.dir, parts); err != nil {
		failed = fmt.Errorf("back up the compacted topics before compacting them (not compacted): %w", err)
	} else {
		c.cluster.Compact()
		compacted = true
	}
	if err := c.lowerFence(); err != nil {
		return compacted, errors.Join(failed, err)
	}
	if err := os.RemoveAll(filepath.Join(c.dir, backupDir)); err != nil {
		failed = errors.Join(failed, fmt.Errorf("remove the compaction's backup (the next compaction removes it): %w", err))
	}
	return compacted, failed
}

// lowerFence removes the backup's mark, then lets produce requests in. A
// mark that cannot be removed keeps them out: the next start would put the
// old partitions back and drop whatever they appended. Each check tries
// again.
func (c *compactor) lowerFence() error {
	if err := dropMark(c.dir); err != nil {
		return fmt.Errorf("the mark of the last compaction's backup cannot be removed, so produce requests stay fenced off: %w", err)
	}
	c.fence.lower()
	return nil
}

// compactedBytes is the size of every topic with cleanup.policy compact.
func (c *compactor) compactedBytes(ctx context.Context) (int64, error) {
	n, _, err := c.compacted(ctx)
	return n, err
}

// compacted is the size and the partitions of every topic with
// cleanup.policy compact.
func (c *compactor) compacted(ctx context.Context) (int64, []topicPartition, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	listed, err := c.admin.ListTopics(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("list topics: %w", err)
	}
	if len(listed) == 0 {
		return 0, nil, nil
	}
	configs, err := c.admin.DescribeTopicConfigs(ctx, listed.Names()...)
	if err != nil {
		return 0, nil, fmt.Errorf("describe topic configs: %w", err)
	}
	compacted := map[string]bool{}
	for _, rc := range configs {
		for _, cfg := range rc.Configs {
			if cfg.Key == "cleanup.policy" && cfg.Value != nil && strings.Contains(*cfg.Value, "compact") {
				compacted[rc.Name] = true
			}
		}
	}
	if len(compacted) == 0 {
		return 0, nil, nil
	}
	dirs, err := c.admin.DescribeAllLogDirs(ctx, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("describe log dirs: %w", err)
	}
	var (
		total int64
		parts []topicPartition
	)
	dirs.Each(func(d kadm.DescribedLogDir) {
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if compacted[p.Topic] {
				total += p.Size
				parts = append(parts, topicPartition{p.Topic, p.Partition})
			}
		})
	})
	return total, parts, nil
}

// newCompactor connects the compactor's admin client to the broker.
func newCompactor(b *Broker, cfg config) (*compactor, *kgo.Client, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addrs()...)}, b.client...)...)
	if err != nil {
		return nil, nil, err
	}
	cleanFile := filepath.Join(cfg.dir, cleanFileName)
	clean, err := loadClean(cleanFile)
	if err != nil {
		cl.Close()
		return nil, nil, err
	}
	return &compactor{cluster: b.cluster, admin: kadm.NewClient(cl), every: cfg.compactEvery, minDirty: cfg.minDirtyBytes,
		minInterval: cfg.minCompactInterval, log: cfg.log, clean: clean, cleanFile: cleanFile, dir: cfg.dir, fence: b.fence}, cl, nil
}
