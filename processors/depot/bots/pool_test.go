package bots_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	depotrules "github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/depot/bots"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/depot"
)

// running is a started pool.
type running struct {
	pool *bots.Pool
	stop func()
}

func start(t *testing.T, f *fakeDepot, n int, shopping time.Duration) running {
	t.Helper()
	p, err := bots.New(n, f, bots.WithShoppingTime(shopping), bots.WithRetryBackoff(time.Millisecond, 5*time.Second),
		bots.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	f.watch(p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, caughtUp{}) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the pool stopped with %v", err)
		}
		f.unwatch(p)
	}
	t.Cleanup(stop)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) { return p.Ready(), "the pool is not ready" })
	return running{pool: p, stop: stop}
}

func at(s int) time.Time { return time.Date(2026, 11, 22, 13, 0, s, 0, time.UTC) }

// everyListCompletedOnce waits until every list is completed and checks
// that each was assigned once and completed once, and that the bots are
// idle again.
func everyListCompletedOnce(t *testing.T, f *fakeDepot, lists []string, botIDs []string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		for _, id := range lists {
			if s := f.status(id); s != depotrules.StatusCompleted {
				return false, fmt.Sprintf("%s is %s", id, s)
			}
		}
		for _, b := range botIDs {
			if st := f.bot(b); st.Status != depotrules.BotIdle {
				return false, fmt.Sprintf("%s is %s on %s", b, st.Status, st.ShoppingListID)
			}
		}
		return true, ""
	})
	assigned, completed := count[*depot.ShoppingListAssigned](f), count[*depot.ShoppingListCompleted](f)
	for _, id := range lists {
		if assigned[id] != 1 || completed[id] != 1 {
			t.Errorf("%s assigned %d times and completed %d times, want once each", id, assigned[id], completed[id])
		}
	}
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("list-%02d", i+1)
	}
	return out
}

func TestOneBotShopsTheListsOldestFirst(t *testing.T) {
	f := newFakeDepot()
	lists := names(5)
	for i, s := range []int{4, 2, 5, 1, 3} { // made available out of order
		f.available(t, lists[i], at(s))
	}
	p := start(t, f, 1, time.Millisecond)
	everyListCompletedOnce(t, f, lists, p.pool.IDs())
	var order []string
	for _, a := range f.assignments() {
		order = append(order, a.AggregateID)
		if a.BotID != "bot-1" {
			t.Errorf("%s assigned to %s", a.AggregateID, a.BotID)
		}
	}
	if want := []string{"list-04", "list-02", "list-05", "list-01", "list-03"}; !slices.Equal(order, want) {
		t.Fatalf("assigned in the order %v, want oldest first %v", order, want)
	}
	if p.pool.Completed() != 5 {
		t.Fatalf("the pool counted %d completions", p.pool.Completed())
	}
}

func TestManyBotsShareTheWorkWithoutDoubleAssignment(t *testing.T) {
	f := newFakeDepot()
	lists := names(40)
	p := start(t, f, 5, 5*time.Millisecond)
	for i, id := range lists { // lists keep coming while the bots work
		f.available(t, id, at(i))
	}
	everyListCompletedOnce(t, f, lists, p.pool.IDs())
	used := map[string]bool{}
	for _, a := range f.assignments() {
		used[a.BotID] = true
	}
	if len(used) < 2 {
		t.Fatalf("only %v worked", used)
	}
}

func TestRetriedCommandsWithLostResultsApplyOnce(t *testing.T) {
	f := newFakeDepot()
	lists := names(6)
	for i, id := range lists {
		f.available(t, id, at(i))
	}
	f.loseFirst = true
	refused := 0
	f.refuse = func(schemas.Command) bool { refused++; return refused%3 == 0 } // and every third attempt fails outright
	p := start(t, f, 2, time.Millisecond)
	everyListCompletedOnce(t, f, lists, p.pool.IDs())
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.sent {
		// A bot's last release may still be waiting for its retry.
		if _, release := c.(*depot.ReleaseBot); release || strings.HasPrefix(c.CommandMetadata().CommandID, "test-") {
			continue
		}
		if id := c.CommandMetadata().CommandID; f.attempts[id] < 2 {
			t.Errorf("%T %s was sent %d times; every first result was lost", c, id, f.attempts[id])
		}
	}
}

func TestAListCanceledWhileShoppingReleasesTheBot(t *testing.T) {
	f := newFakeDepot()
	f.available(t, "list-1", at(1))
	p := start(t, f, 1, 300*time.Millisecond)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return f.status("list-1") == depotrules.StatusAssigned, "list-1 is " + f.status("list-1")
	})
	f.must(t, &depot.CancelShoppingList{}, "list-1") // the order was canceled
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		b := f.bot("bot-1")
		return b.Status == depotrules.BotIdle && b.ID == "bot-1", fmt.Sprintf("bot-1: %+v", b)
	})
	if f.status("list-1") != depotrules.StatusCanceled || count[*depot.ShoppingListCompleted](f)["list-1"] != 0 {
		t.Fatalf("list-1 is %s", f.status("list-1"))
	}
	// The bot goes on with the next list.
	f.available(t, "list-2", at(2))
	everyListCompletedOnce(t, f, []string{"list-2"}, p.pool.IDs())
}

func TestARestartResumesEveryTripAndCompletesEachListOnce(t *testing.T) {
	f := newFakeDepot()
	lists := names(6)
	for i, id := range lists {
		f.available(t, id, at(i))
	}
	// The first pool's bots take lists and are stopped mid-shopping.
	first := start(t, f, 2, time.Hour)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return len(f.assignments()) == 2, fmt.Sprintf("%d assignments", len(f.assignments()))
	})
	first.stop()
	before := map[string]string{}
	for _, a := range f.assignments() {
		before[a.AggregateID] = a.BotID
	}

	second := start(t, f, 2, time.Millisecond)
	everyListCompletedOnce(t, f, lists, second.pool.IDs())
	for _, a := range f.assignments() {
		if bot, ok := before[a.AggregateID]; ok && a.BotID != bot {
			t.Errorf("%s was assigned to %s before the restart and to %s after", a.AggregateID, bot, a.BotID)
		}
	}
}

func TestABotStoppedBetweenItsAssignmentAndTheListsResumesThatList(t *testing.T) {
	f := newFakeDepot()
	f.available(t, "older", at(1))
	f.available(t, "taken", at(2))
	// A previous run assigned bot-1 to "taken", then stopped before the list
	// was assigned to it.
	f.must(t, &depot.AssignBot{ShoppingListID: "taken"}, "bot-1")
	p := start(t, f, 2, time.Millisecond)
	everyListCompletedOnce(t, f, []string{"older", "taken"}, p.pool.IDs())
	for _, a := range f.assignments() {
		if a.AggregateID == "taken" && a.BotID != "bot-1" {
			t.Fatalf("the list bot-1 was on went to %s", a.BotID)
		}
	}
}

func TestABotOnACanceledListIsReleasedOnStart(t *testing.T) {
	f := newFakeDepot()
	f.available(t, "gone", at(1))
	f.must(t, &depot.AssignBot{ShoppingListID: "gone"}, "bot-1")
	f.must(t, &depot.CancelShoppingList{}, "gone")
	start(t, f, 1, time.Millisecond)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		b := f.bot("bot-1")
		return b.Status == depotrules.BotIdle, fmt.Sprintf("bot-1: %+v", b)
	})
	if n := len(f.assignments()); n != 0 || f.status("gone") != depotrules.StatusCanceled {
		t.Fatalf("%d assignments, gone is %s", n, f.status("gone"))
	}
}

func TestABotBusyOnAListThePoolHadNotSeenFinishesItFirst(t *testing.T) {
	f := newFakeDepot()
	f.available(t, "unseen", at(2))
	f.available(t, "oldest", at(1))
	f.must(t, &depot.AssignBot{ShoppingListID: "unseen"}, "bot-1")
	f.hideBots = true // the pool starts believing bot-1 idle
	p := start(t, f, 1, time.Millisecond)
	everyListCompletedOnce(t, f, []string{"unseen", "oldest"}, p.pool.IDs())
	if got := f.assignments(); got[0].AggregateID != "unseen" {
		t.Fatalf("bot-1 finished %s first, not the list it was on", got[0].AggregateID)
	}
}

func TestAPoolNeedsBotsAndCommands(t *testing.T) {
	_, err := bots.New(0, nil, bots.WithShoppingTime(-time.Second))
	if err == nil {
		t.Fatal("a pool without bots, with a negative time and without Commands was accepted")
	}
	for _, want := range []string{"at least one bot", "cannot be negative", "Commands"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	p, err := bots.New(3, newFakeDepot())
	if err != nil || !slices.Equal(p.IDs(), []string{"bot-1", "bot-2", "bot-3"}) {
		t.Fatalf("ids %v, %v", p.IDs(), err)
	}
}
