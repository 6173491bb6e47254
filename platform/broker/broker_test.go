package broker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The embedded broker reads each segment file whole when it starts, every
// partition at once, so the segment size bounds what a start holds in
// memory per partition: a partition's log is kept in segments of
// segmentBytes, and a restart reads every record back from them.
func TestAPartitionsLogIsKeptInSegmentsThatARestartReadsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := []Option{WithAddr("127.0.0.1:0"), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	b, err := Start(ctx, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.DefaultProduceTopic("log"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "log"); err != nil {
		t.Fatal(err)
	}
	const n = 2_500 // 2.5 segments of 10 KiB records
	value := make([]byte, 10<<10)
	for i := 0; i < n; i += 100 {
		var rs []*kgo.Record
		for j := i; j < i+100; j++ {
			rs = append(rs, &kgo.Record{Key: fmt.Appendf(nil, "%d", j), Value: value})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	b.Close()

	segs, err := filepath.Glob(filepath.Join(dir, "partitions", "log-0", "*.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 {
		t.Fatalf("%d segment files for %d MiB written, want at least 3 of %d MiB", len(segs), n*len(value)>>20, segmentBytes>>20)
	}
	for _, s := range segs {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > segmentBytes+100*int64(len(value))+(64<<10) { // a segment rolls after the batch that fills it
			t.Fatalf("%s is %d bytes, over %d and a batch", s, fi.Size(), segmentBytes)
		}
	}

	b, err = Start(ctx, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err = kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics("log"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for next := 0; next < n; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Key) != fmt.Sprint(next) || !bytes.Equal(r.Value, value) {
				t.Fatalf("record %d after the restart: key %q, %d bytes", next, r.Key, len(r.Value))
			}
			next++
		})
	}
}
