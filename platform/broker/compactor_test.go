package broker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The embedded broker compacts a compacted topic when it has at least
// doubled since the last compaction, as Kafka's cleaner does at its default
// dirty ratio of 0.5, and leaves it alone otherwise: kfake answers nothing
// while it compacts, so compacting an unchanged table every minute froze
// the broker for nothing.
func TestCompactsWhenTheCompactedTopicsHaveDoubled(t *testing.T) {
	ctx := context.Background()
	cfg := compactionConfig(t.TempDir())
	b, write := withTable(t, cfg)
	defer b.Close()
	comp, admin, err := newCompactor(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	size := func() int64 {
		t.Helper()
		n, err := comp.compactedBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	write("table", 200)
	write("log", 2000) // not compacted: its size does not count
	before := size()
	if did, err := comp.check(ctx); err != nil || !did {
		t.Fatalf("200 records over 10 keys, never compacted: check = %v, %v; want a compaction", did, err)
	}
	after := size()
	if _, err := os.Stat(filepath.Join(cfg.dir, backupDir)); !os.IsNotExist(err) {
		t.Errorf("the compaction's backup is still there (stat: %v)", err)
	}
	if after >= before/4 {
		t.Fatalf("compaction left %d of %d bytes; 10 keys survive of 200 records", after, before)
	}
	if did, _ := comp.check(ctx); did {
		t.Fatal("compacted again with nothing written")
	}
	write("table", 2) // less than the clean size: not dirty enough
	if did, _ := comp.check(ctx); did {
		t.Fatalf("compacted after %d bytes were added to %d clean", size()-after, after)
	}
	write("table", 50)
	if did, err := comp.check(ctx); err != nil || !did {
		t.Fatalf("the table more than doubled (%d clean, %d now): check = %v, %v; want a compaction", after, size(), did, err)
	}

	// Never two compactions closer than the minimum interval.
	comp.minInterval = time.Hour
	write("table", 500)
	if did, _ := comp.check(ctx); did {
		t.Fatal("compacted again within the minimum interval")
	}
	comp.minInterval = 0
	if did, err := comp.check(ctx); err != nil || !did {
		t.Fatalf("the table more than doubled, the interval is over: check = %v, %v; want a compaction", did, err)
	}

	// The records kept are the last of each key.
	consumer, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics("table"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	seen := map[string]int{}
	for len(seen) < 10 {
		fs := consumer.PollFetches(pctx)
		if pctx.Err() != nil {
			t.Fatalf("read %d keys back", len(seen))
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Key)]++ })
	}
	if n := len(seen); n != 10 {
		t.Fatalf("%d keys after compaction, want 10", n)
	}
}

// A restart remembers what the last compaction left: a start must not
// compact tables that have not doubled since (it pauses the broker, and
// every start used to do it at its first check).
func TestARestartDoesNotCompactWhatHasNotDoubledSinceTheLastCompaction(t *testing.T) {
	ctx := context.Background()
	cfg := compactionConfig(t.TempDir())
	// start runs the broker and its compactor.
	start := func() (*Broker, *compactor, func(topic string, n int)) {
		t.Helper()
		b, write := withTable(t, cfg)
		comp, admin, err := newCompactor(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(admin.Close)
		return b, comp, write
	}

	b, comp, write := start()
	write("table", 200)
	if did, err := comp.check(ctx); err != nil || !did {
		t.Fatalf("200 records over 10 keys, never compacted: check = %v, %v; want a compaction", did, err)
	}
	clean := comp.clean
	b.Close()

	b, comp, write = start()
	defer b.Close()
	if comp.clean != clean {
		t.Fatalf("after a restart the compactor starts from %d clean bytes, want the %d the last compaction left", comp.clean, clean)
	}
	if did, err := comp.check(ctx); err != nil || did {
		t.Fatalf("the first check after a restart, nothing written: check = %v, %v; want no compaction", did, err)
	}
	write("table", 50)
	if did, err := comp.check(ctx); err != nil || !did {
		t.Fatalf("the table more than doubled since the last compaction: check = %v, %v; want a compaction", did, err)
	}
}
