package system_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	contractcustomers "github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/topics"
)

// On the running system, a snapshot's window forgets the encoded events of
// the commands goka has committed (ADR 0004, amendment) and keeps those of
// the command it was written for: the engine reads the group's committed
// offsets from the broker, not only in goka's tester.
func TestASnapshotForgetsTheEventsOfCommittedCommands(t *testing.T) {
	id := shopper(t, "Forgetful Shopper")
	var last string
	// goka commits every second and the engine refreshes its figure every
	// second: within a few changes the registration is below both.
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		change := &contractcustomers.ChangeSmsNumber{SMSNumber: fmt.Sprintf("555-%04d", time.Now().UnixMilli()%10000)}
		change.AggregateID = id
		shopperCommand(t, change)
		snap := latestCustomerSnapshot(t, id)
		first, newest := snap.Recent[0], snap.Recent[len(snap.Recent)-1]
		last = fmt.Sprintf("%d commands in the window; the registration's events: %d of %v bytes", len(snap.Recent), len(first.Events), lens(first.Events))
		if len(newest.Events) != 1 || len(newest.Events[0]) == 0 {
			t.Fatalf("the newest command's entry lost its encoded event: %+v", newest)
		}
		time.Sleep(300 * time.Millisecond)
		return len(first.Events) == 1 && len(first.Events[0]) == 0, last
	})
	t.Log(last)
}

func lens(bs [][]byte) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = len(b)
	}
	return out
}

// latestCustomerSnapshot decodes the last snapshot written for id.
func latestCustomerSnapshot(t *testing.T, id string) *contractcustomers.CustomerSnapshot {
	t.Helper()
	rec := latestRecord(t, topics.Customers.Table, id)
	v, err := sys.Serde().Decode(context.Background(), positionOf(rec), rec.Value)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*contractcustomers.CustomerSnapshot)
}
