package gokart

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// customersTable starts a broker with the catalogue's customers table
// and the records given for key on its partition, and Lookups on a fresh
// state directory reading its end offsets as the system does.
func customersTable(t *testing.T, key string, records int) (*Lookups, Runtime, int32) {
	t.Helper()
	table := topics.Customers.Table
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(table.Partitions, table.Name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	partition := topics.PartitionFor(key, table.Partitions)
	for range records {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: table.Name, Partition: partition, Key: []byte(key), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	log, err := engine.NewKafkaLog(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	c := New(t.TempDir(), WithStores(new(Stores)))
	endOffset := func(ctx context.Context, _, topic string, partition int32) (int64, error) {
		return log.EndOffset(ctx, topic, partition)
	}
	return NewLookups(c, endOffset), c, partition
}

func openProcessorStore(t *testing.T, c Runtime, group, table string, partition int32) storage.Storage {
	t.Helper()
	st, err := storeBuilder(c.ProcessorStateDir(goka.Group(group)), leveldbOptions(processorWriteBuffer), c.cfg.stores)(table, partition)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A lookup that missed waits for the group's copy of the table's partition
// to read up to where the topic was, and no longer: the copy is behind by
// three records, CatchUp returns only once the last of them is applied.
func TestCatchUpReturnsOnceTheGroupsCopyHoldsWhatTheTopicHeld(t *testing.T) {
	const group, key = "mallbots.baskets", "customer-1"
	table := topics.Customers.Table.Name
	lookups, c, partition := customersTable(t, key, 3)
	st := openProcessorStore(t, c, group, table, partition)
	defer st.Close()

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
// saying how far behind the copy is; a group without a copy, or a table
// the catalogue does not know, is an error at once.
func TestCatchUpSaysHowFarBehindTheCopyIsWhenItGivesUp(t *testing.T) {
	const group, key = "g", "k"
	table := topics.Customers.Table.Name
	lookups, c, partition := customersTable(t, key, 1)
	copyOf := fmt.Sprintf("%s/%d", table, partition)

	if err := lookups.CatchUp(context.Background(), group, "t", key); err == nil || err.Error() != "t is not a table of the topic catalogue" {
		t.Fatalf("an unknown table: %v", err)
	}
	err := lookups.CatchUp(context.Background(), group, table, key)
	if err == nil || !strings.Contains(err.Error(), "group g has no local copy of "+copyOf+" open") {
		t.Fatalf("without a store: %v", err)
	}

	st := openProcessorStore(t, c, group, table, partition)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = lookups.CatchUp(ctx, group, table, key)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "copy of "+copyOf+" is at offset -1, the table was at 0") {
		t.Fatalf("behind: %v", err)
	}

	// Closed, the store is forgotten.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if c.cfg.stores.get(storeDir(c.ProcessorStateDir(goka.Group(group)), table, partition)) != nil {
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
