package gokart

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
)

// A lookup that missed waits for the group's copy of the table's partition
// to read up to where the topic was, and no longer: the copy is behind by
// three records, CatchUp returns only once the last of them is applied.
func TestCatchUpReturnsOnceTheGroupsCopyHoldsWhatTheTopicHeld(t *testing.T) {
	const table, group, key, partitions = "mallbots.customers-table", "mallbots.baskets", "customer-1", 4
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, table))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	partition := topics.PartitionFor(key, partitions)
	for range 3 {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: table, Partition: partition, Key: []byte(key), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	c := Config{StateDir: t.TempDir(), Stores: new(Stores)}
	st, err := storeBuilder(filepath.Join(c.StateDir, "processors", group), leveldbOptions(processorWriteBuffer), c.Stores)(table, partition)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lookups := NewLookups(c, kadm.NewClient(cl))

	done := make(chan error, 1)
	go func() { done <- lookups.CatchUp(context.Background(), group, table, key) }()
	for offset := range int64(3) {
		select {
		case err := <-done:
			t.Fatalf("CatchUp returned (%v) with the copy at offset %d of 2", err, offset-1)
		case <-time.After(50 * time.Millisecond):
		}
		if err := st.Set(key, []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := st.SetOffset(offset); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("CatchUp: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CatchUp still waits with the copy at the topic's last offset")
	}
}

// A copy that does not catch up makes CatchUp give up with its context,
// saying how far behind the copy is; a group without a copy is an error at
// once.
func TestCatchUpSaysHowFarBehindTheCopyIsWhenItGivesUp(t *testing.T) {
	const table, group, key = "t", "g", "k"
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, table))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: table, Key: []byte(key)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	c := Config{StateDir: t.TempDir(), Stores: new(Stores)}
	lookups := NewLookups(c, kadm.NewClient(cl))

	err = lookups.CatchUp(context.Background(), group, table, key)
	if err == nil || !strings.Contains(err.Error(), "group g has no local copy of t/0 open") {
		t.Fatalf("without a store: %v", err)
	}

	st, err := storeBuilder(filepath.Join(c.StateDir, "processors", group), leveldbOptions(processorWriteBuffer), c.Stores)(table, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = lookups.CatchUp(ctx, group, table, key)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "copy of t/0 is at offset -1, the table was at 0") {
		t.Fatalf("behind: %v", err)
	}

	// Closed, the store is forgotten.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if c.Stores.get(storeDir(filepath.Join(c.StateDir, "processors", group), table, 0)) != nil {
		t.Fatal("a closed store is still known")
	}
}

// A store tells "read offset 0" from "read nothing", which goka's offset
// (0 for none) does not.
func TestAStoreThatReadTheFirstRecordHasAppliedOffsetZero(t *testing.T) {
	st := openStore(t, t.TempDir()).(*store)
	defer st.Close()
	if got, err := st.applied(); err != nil || got != -1 {
		t.Fatalf("empty store: applied %d, %v; want -1", got, err)
	}
	if err := st.SetOffset(0); err != nil {
		t.Fatal(err)
	}
	if got, err := st.applied(); err != nil || got != 0 {
		t.Fatalf("after SetOffset(0): applied %d, %v; want 0", got, err)
	}
	if err := st.flush(); err != nil {
		t.Fatal(err)
	}
	if got, err := st.applied(); err != nil || got != 0 {
		t.Fatalf("after SetOffset(0) and a flush: applied %d, %v; want 0", got, err)
	}
}
