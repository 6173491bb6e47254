package system_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/tools/loadgen"
	"github.com/mallbots/mallbots/topics"
)

// The replay, verify and history tests share one load run: a few hundred
// shoppers through the HTTP API, with disabled customers, short
// authorizations, cancellations and removals.
var loadRun struct {
	once    sync.Once
	summary loadgen.Summary
	err     error
}

const loadShoppers = 200

func loadedMall(t *testing.T) loadgen.Summary {
	t.Helper()
	loadRun.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		loadRun.summary, loadRun.err = loadgen.Run(ctx, loadgen.Config{
			API: "http://" + sys.HTTPAddr(), Token: tokenFor(t, operator), Shoppers: loadShoppers, Rate: 50, Seed: 5, OrderTimeout: time.Minute,
		})
	})
	s := loadRun.summary
	if loadRun.err != nil || s.Errors > 0 || s.Stuck > 0 {
		t.Fatalf("the load run failed: %v (%d shoppers with errors, %d orders not finished)", loadRun.err, s.Errors, s.Stuck)
	}
	return s
}

// eventLog reads the running system's log.
func eventLog(t *testing.T) *replay.Log {
	t.Helper()
	l, err := replay.New(sys.Serde(), kafkaAs(t, topics.RoleAdmin)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// verifyUntil runs Verify until its discrepancies are want ("problem type
// id", in report order) or a minute passes: on a live system a command in
// flight shows for a moment as a table behind its log.
func verifyUntil(t *testing.T, l *replay.Log, want ...string) *replay.Report {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rep, err := l.Verify(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range rep.Discrepancies() {
			got = append(got, fmt.Sprintf("%s %s %s", d.Problem, d.Type, d.ID))
		}
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return rep
		}
		if time.Now().After(deadline) {
			var out strings.Builder
			rep.Print(&out)
			t.Fatalf("verify reports\n%s\nwant discrepancies %q", out.String(), want)
		}
	}
}

func TestVerifyFindsNoDiscrepancyAfterALoadRun(t *testing.T) {
	s := loadedMall(t)
	rep := verifyUntil(t, eventLog(t))
	var out strings.Builder
	rep.Print(&out)
	t.Logf("after %d shoppers (%d orders):\n%s", s.Shoppers, s.OrdersCreated, out.String())
	for _, tr := range rep.Types {
		if tr.Aggregates == 0 || tr.Matching != tr.Snapshots || tr.Snapshots != tr.Aggregates {
			t.Errorf("%s: %d aggregates in the log, %d snapshots, %d matching: want all equal and some", tr.Type, tr.Aggregates, tr.Snapshots, tr.Matching)
		}
		if tr.Type == "order" && int64(tr.Aggregates) < s.OrdersCreated {
			t.Errorf("the log holds %d orders, the load created %d", tr.Aggregates, s.OrdersCreated)
		}
	}
}

func TestVerifyReportsExactlyTheOneCorruptedTableEntry(t *testing.T) {
	order := orderWithStatus(t, loadedMall(t), "completed")
	table := topics.Orders.Table
	original := latestRecord(t, table, order)
	v, err := sys.Serde().Decode(context.Background(), positionOf(original), original.Value)
	if err != nil {
		t.Fatal(err)
	}
	snap := v.(*ordering.OrderSnapshot)
	snap.State.Status = "canceled" // same version, wrong state
	produceTo(t, table, order, encode(t, table.Name, snap))
	t.Cleanup(func() { produceTo(t, table, order, original.Value) })

	l := eventLog(t)
	rep := verifyUntil(t, l, "table-state order "+order)
	if d := rep.Discrepancies()[0]; !strings.Contains(d.Detail, `status: table "canceled", log "completed"`) {
		t.Errorf("the report names the field and both values: %s", d)
	}

	produceTo(t, table, order, original.Value)
	verifyUntil(t, l)
}

// orderWithStatus is an order of the load run that ended in status.
func orderWithStatus(t *testing.T, s loadgen.Summary, status string) string {
	t.Helper()
	for id, st := range s.Orders {
		if st == status {
			return id
		}
	}
	t.Fatalf("the load run has no %s order: %v", status, s.Orders)
	return ""
}

func encode(t *testing.T, topic string, v any) []byte {
	t.Helper()
	b, err := sys.Serde().Encode(topic, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// produceTo writes a record keyed by key on the partition it hashes to.
func produceTo(t *testing.T, topic topics.Topic, key string, value []byte) {
	t.Helper()
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rec := &kgo.Record{Topic: topic.Name, Key: []byte(key), Value: value, Partition: topics.PartitionFor(key, topic.Partitions)}
	if err := cl.ProduceSync(context.Background(), rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// latestRecord is the last record of key on its partition of topic.
func latestRecord(t *testing.T, topic topics.Topic, key string) *kgo.Record {
	t.Helper()
	p := topics.PartitionFor(key, topic.Partitions)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admCl, err := kgo.NewClient(kafkaAs(t, topics.RoleAdmin)...)
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	ends, err := kadm.NewClient(admCl).ListEndOffsets(ctx, topic.Name)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic.Name, p)
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic.Name: {p: kgo.NewOffset().AtStart()}}))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var last *kgo.Record
	for done := false; !done; {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s/%d to offset %d: %v", topic.Name, p, end.Offset, ctx.Err())
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			if rec.Offset < end.Offset && string(rec.Key) == key {
				last = rec
			}
			done = done || rec.Offset >= end.Offset-1
		})
	}
	if last == nil {
		t.Fatalf("%s has no record of %s", topic.Name, key)
	}
	return last
}
