package repartition_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/tools/repartition"
	"github.com/mallbots/mallbots/topics"
)

func TestCopyPlacesEveryRecordByItsKeyInOrder(t *testing.T) {
	src, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(8, "mallbots.orders.events"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(16, "mallbots.orders.events"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	p, err := kgo.NewClient(kgo.SeedBrokers(src.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const keys, versions = 50, 4
	at := time.UnixMilli(1_700_000_000_000)
	for v := 1; v <= versions; v++ {
		for k := 0; k < keys; k++ {
			rec := &kgo.Record{Topic: "mallbots.orders.events", Key: []byte(fmt.Sprintf("order-%d", k)), Value: []byte(fmt.Sprintf("v%d", v)),
				Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("x")}}, Timestamp: at.Add(time.Duration(v) * time.Second)}
			if err := p.ProduceSync(ctx, rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}

	copied, err := repartition.Copy(ctx, []kgo.Opt{kgo.SeedBrokers(src.ListenAddrs()...)}, []kgo.Opt{kgo.SeedBrokers(dst.ListenAddrs()...)}, []string{"mallbots.orders.events"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if copied["mallbots.orders.events"] != keys*versions {
		t.Fatalf("copied %v, want %d", copied, keys*versions)
	}

	c, err := kgo.NewClient(kgo.SeedBrokers(dst.ListenAddrs()...), kgo.ConsumeTopics("mallbots.orders.events"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	next := map[string]int{}
	for got := 0; got < keys*versions; {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d", got, keys*versions)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got++
			key := string(r.Key)
			if want := topics.PartitionFor(key, 16); r.Partition != want {
				t.Errorf("%s on partition %d, want %d", key, r.Partition, want)
			}
			next[key]++
			if want := fmt.Sprintf("v%d", next[key]); string(r.Value) != want {
				t.Errorf("%s: %s arrived where %s belongs: order lost", key, r.Value, want)
			}
			if !r.Timestamp.Equal(at.Add(time.Duration(next[key])*time.Second)) || len(r.Headers) != 1 {
				t.Errorf("%s: timestamp %v or headers %v not kept", key, r.Timestamp, r.Headers)
			}
		})
	}

	if _, err := repartition.Copy(ctx, []kgo.Opt{kgo.SeedBrokers(src.ListenAddrs()...)}, []kgo.Opt{kgo.SeedBrokers(dst.ListenAddrs()...)}, []string{"mallbots.orders.events"}, nil); err == nil {
		t.Fatal("a second copy into the same topics was not refused")
	}
}
