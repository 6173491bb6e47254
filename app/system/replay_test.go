package system_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

func TestEveryRebuiltTableEqualsTheLiveOneAfterALoadRun(t *testing.T) {
	loadedMall(t)
	l := eventLog(t)
	t.Cleanup(func() { dropRebuildTopics(t) })
	for _, typ := range replay.Types() {
		var rep *replay.RebuildReport
		deadline := time.Now().Add(time.Minute)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			var err error
			rep, err = l.Rebuild(ctx, typ, replay.RebuildDryRun())
			cancel()
			if err != nil {
				t.Fatalf("rebuild %s: %v", typ, err)
			}
			if len(rep.Differences) == 0 || time.Now().After(deadline) {
				break // a command in flight may show for a moment
			}
		}
		if len(rep.Differences) != 0 || rep.Rebuilt == 0 || rep.Rebuilt != rep.Live || rep.Matching != rep.Live {
			t.Errorf("%s: %d rebuilt, %d live, %d equal; differences %v", typ, rep.Rebuilt, rep.Live, rep.Matching, rep.Differences)
			continue
		}
		t.Logf("%-13s %6d events (%d copies skipped) → %5d snapshots, all equal to the live table (%s)",
			typ, rep.Events, rep.Duplicates, rep.Rebuilt, rep.Took.Round(time.Millisecond))
	}
}

func TestReplayTableRefusesARunningGroupAndRepairsACorruptedEntryWithForce(t *testing.T) {
	loadedMall(t)
	l := eventLog(t)
	store := createStore(t, "Replay Store")
	id := api(t).Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": "Replayed", "price": 4.25}).Expect(t, 201).S("id")
	table := topics.Products.Table
	original := latestRecord(t, table, id)
	v, err := sys.Serde().Decode(context.Background(), positionOf(original), original.Value)
	if err != nil {
		t.Fatal(err)
	}
	snap := v.(*stores.ProductSnapshot)
	snap.State.PriceCents = 1
	produceTo(t, table, id, encode(t, table.Name, snap))
	t.Cleanup(func() { produceTo(t, table, id, original.Value) })
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		got := api(t).Do("GET", "/api/stores/products/"+id, nil)
		return got.N("price") == 0.01, "the view shows the corrupted price: " + got.Raw
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = l.Rebuild(ctx, topics.Products.Group)
	var active *replay.GroupActiveError
	if !errors.As(err, &active) || active.Group != topics.Products.Group {
		t.Fatalf("while the products group runs, want a refusal, got %v", err)
	}

	rep, err := l.Rebuild(ctx, topics.Products.Group, replay.RebuildForce())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Differences) != 1 || rep.Differences[0].ID != id || rep.Written != 1 || rep.Removed != 0 || !rep.Swapped {
		t.Fatalf("want exactly the corrupted product rewritten, got %+v", rep)
	}
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		got := api(t).Do("GET", "/api/stores/products/"+id, nil)
		return got.N("price") == 4.25, "the view shows the rebuilt price: " + got.Raw
	})
	verifyUntil(t, l)
}

// dropRebuildTopics deletes what dry runs left to inspect.
func dropRebuildTopics(t *testing.T) {
	cl, err := kgo.NewClient(kafkaAs(t, topics.RoleAdmin)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var names []string
	for _, a := range topics.Aggregates() {
		names = append(names, topics.RebuildOf(a.Group))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).DeleteTopics(ctx, names...); err != nil {
		t.Errorf("delete the rebuild topics: %v", err)
	}
}
