package broker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kfake deletes a partition's segments before it writes their compacted
// copies. A process killed in between used to lose the partition; now the
// next start puts back the partitions as they were before the compaction.
func TestAStartAfterACrashDuringACompactionPutsThePartitionsBack(t *testing.T) {
	cfg := compactionConfig(t.TempDir())
	b, write := withTable(t, cfg)
	write("table", 200)

	// The compactor's steps, with the crash in the middle of kfake's: the
	// backup, the compaction, and the compacted segments lost.
	if err := backUp(cfg.dir, []topicPartition{{"table", 0}}); err != nil {
		t.Fatal(err)
	}
	b.cluster.Compact()
	b.Close()
	live := partitionDir(cfg.dir, "table", 0)
	segments, _ := filepath.Glob(filepath.Join(live, "*.dat"))
	if len(segments) == 0 {
		t.Fatalf("no segment in %s to lose", live)
	}
	for _, s := range segments {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}

	b, err := start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := os.Stat(filepath.Join(cfg.dir, backupDir)); !os.IsNotExist(err) {
		t.Errorf("the backup is still there after the restore (stat: %v)", err)
	}
	if n := countRecords(t, b, "table"); n != 200 {
		t.Fatalf("%d records in the table after the restart, want the 200 from before the interrupted compaction", n)
	}
}

// Nothing may be appended to a compacted partition while its backup
// stands: a restore would drop it. The fence makes producers retry.
func TestTheProduceFenceHoldsProducersOffUntilItIsDown(t *testing.T) {
	ctx := context.Background()
	b, write := withTable(t, compactionConfig(t.TempDir()))
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.DefaultProduceTopic("log"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	write("log", 1)

	b.fence.raise()
	fenced, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := cl.ProduceSync(fenced, kgo.StringRecord("fenced")).FirstErr(); err == nil {
		t.Fatal("a record was acknowledged while the fence was up")
	}
	b.fence.lower()
	if err := cl.ProduceSync(ctx, kgo.StringRecord("after")).FirstErr(); err != nil {
		t.Fatalf("after the fence came down: %v", err)
	}
	if n := countRecords(t, b, "log"); n != 2 {
		t.Fatalf("%d records in the topic, want the 2 produced outside the fence", n)
	}
}

// countRecords reads a topic from its start to its end.
func countRecords(t *testing.T, b *Broker, topic string) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	var last int64 = -1
	for last < want-1 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d records of %s, up to offset %d of %d", n, topic, last, want)
		}
		fs.EachRecord(func(r *kgo.Record) { n++; last = r.Offset })
	}
	return n
}
