package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A cluster of three embedded brokers keeps taking writes while a node is
// stopped and after it is back: the stopped node refuses connections, the
// partitions it led get new leaders among the others, and nothing written
// is lost or written twice.
func TestAStoppedNodeIsUnreachableAndTheOthersTakeItsPartitions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := Start(ctx, t.TempDir(), WithAddr("127.0.0.1:0"), WithBrokers(3), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addrs := b.Addrs()
	if len(addrs) != 3 {
		t.Fatalf("%d listen addresses, want 3: %v", len(addrs), addrs)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("log"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 6, -1, nil, "log"); err != nil {
		t.Fatal(err)
	}
	leaders := func() map[int32]int32 {
		out := map[int32]int32{}
		for p := int32(0); p < 6; p++ {
			out[p] = b.Cluster().LeaderFor("log", p)
		}
		return out
	}
	produce := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			r := &kgo.Record{Partition: int32(i % 6), Value: fmt.Appendf(nil, "%d", i)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
	}
	produce(0, 60)

	if _, err := b.StopNode(b.Controller()); err == nil {
		t.Fatal("StopNode stopped the controller, which kfake cannot move")
	}
	closed, err := b.StopNode(0)
	if err != nil {
		t.Fatal(err)
	}
	if closed == 0 {
		t.Error("StopNode(0) closed no connection, yet the client had one to every node")
	}
	if c, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
		c.Close()
		t.Errorf("node 0 at %s accepts connections while stopped", addrs[0])
	}
	for p, l := range leaders() {
		if l == 0 {
			t.Errorf("partition %d is still led by the stopped node 0", p)
		}
	}
	produce(60, 120)

	if err := b.StartNode(0); err != nil {
		t.Fatal(err)
	}
	produce(120, 180)

	rd, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("log"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	seen := map[string]int{}
	for len(seen) < 180 && ctx.Err() == nil {
		fs := rd.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
	}
	for i := range 180 {
		if n := seen[fmt.Sprint(i)]; n != 1 {
			t.Errorf("record %d is in the log %d times, want once", i, n)
		}
	}
}
