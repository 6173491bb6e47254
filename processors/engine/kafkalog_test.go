package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaLog streams what the reconciliation reads: a range of a command
// partition, and an event partition from a moment on.

// loggedPartition starts a broker whose partition 1 of topic holds ten
// records, "r0" to "r9", the first five written at before and the others
// at after (two partitions, so that reading one is seen to leave the
// other alone).
func loggedPartition(t *testing.T, topic string, before, after time.Time) *KafkaLog {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	for i := range 10 {
		at := before
		if i >= 5 {
			at = after
		}
		for _, p := range []int32{0, 1} {
			rec := &kgo.Record{Topic: topic, Partition: p, Key: fmt.Appendf(nil, "k%d", p), Value: fmt.Appendf(nil, "r%d", i), Timestamp: at}
			if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	log, err := NewKafkaLog(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	return log
}

// values collects what a read hands its callback, copied as the callback
// must.
func values(read func(fn func(*kgo.Record)) error) ([]string, error) {
	var got []string
	err := read(func(r *kgo.Record) {
		if r.Partition != 1 {
			got = append(got, fmt.Sprintf("a record of partition %d", r.Partition))
			return
		}
		got = append(got, string(r.Value))
	})
	return got, err
}

func TestKafkaLogReadsAPartitionsRecordsBetweenTwoOffsets(t *testing.T) {
	log := loggedPartition(t, "commands", time.Now(), time.Now())
	ctx := context.Background()
	got, err := values(func(fn func(*kgo.Record)) error { return log.Between(ctx, "commands", 1, 3, 7, fn) })
	if err != nil || !slices.Equal(got, []string{"r3", "r4", "r5", "r6"}) {
		t.Fatalf("between offsets 3 and 7: %v, %v; want r3 to r6", got, err)
	}
	got, err = values(func(fn func(*kgo.Record)) error { return log.Between(ctx, "commands", 1, 7, 7, fn) })
	if err != nil || len(got) != 0 {
		t.Fatalf("an empty range: %v, %v; want nothing", got, err)
	}
}

func TestKafkaLogReadsAPartitionFromAMomentToItsEnd(t *testing.T) {
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	log := loggedPartition(t, "events", t0, t0.Add(10*time.Minute))
	ctx := context.Background()
	got, err := values(func(fn func(*kgo.Record)) error { return log.Since(ctx, "events", 1, t0.Add(time.Minute), fn) })
	if err != nil || !slices.Equal(got, []string{"r5", "r6", "r7", "r8", "r9"}) {
		t.Fatalf("since a minute after the first five: %v, %v; want r5 to r9", got, err)
	}
	got, err = values(func(fn func(*kgo.Record)) error { return log.Since(ctx, "events", 1, t0.Add(time.Hour), fn) })
	if err != nil || len(got) != 0 {
		t.Fatalf("since after the last record: %v, %v; want nothing", got, err)
	}
}
