package bots_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/aggregate"
	depotrules "github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/depot/bots"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// fakeDepot runs the real ShoppingList and Bot rules in memory, the way the
// engine does (aggregate.Execute, snapshots written even for a refusal of
// an existing aggregate), and tells the pools that watch it about every
// snapshot it writes, as the goka views do.
type fakeDepot struct {
	mu        sync.Mutex
	now       time.Time
	offset    int64
	lists     map[string]*depot.ShoppingListSnapshot
	bots      map[string]*depot.BotSnapshot
	events    []schemas.Event
	watchers  []*bots.Pool
	hideBots  bool                           // attach without telling the bots' states: a view that lags
	loseFirst bool                           // apply every command, but lose the result of its first attempt
	attempts  map[string]int                 // by command id
	sent      []schemas.Command              // every attempt
	refuse    func(cmd schemas.Command) bool // fail an attempt without applying it
}

func newFakeDepot() *fakeDepot {
	return &fakeDepot{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), lists: map[string]*depot.ShoppingListSnapshot{},
		bots: map[string]*depot.BotSnapshot{}, attempts: map[string]int{}}
}

// facts: the one store and product every list buys.
var facts = aggregate.Facts{
	{Table: topics.Stores.Table.Name, Key: "s1"}:   &stores.StoreSnapshot{AggregateID: "s1", Version: 1, State: stores.Store{ID: "s1", Name: "Waldorf Books", Location: "Level 1"}},
	{Table: topics.Products.Table.Name, Key: "p1"}: &stores.ProductSnapshot{AggregateID: "p1", Version: 1, State: stores.Product{ID: "p1", StoreID: "s1", Name: "A Novel"}},
}

func (f *fakeDepot) SendAndWait(ctx context.Context, cmd schemas.Command) (schemas.CommandResult, error) {
	if err := ctx.Err(); err != nil {
		return schemas.CommandResult{}, err
	}
	f.mu.Lock()
	id := cmd.CommandMetadata().CommandID
	f.attempts[id]++
	f.sent = append(f.sent, cmd)
	if f.refuse != nil && f.refuse(cmd) {
		f.mu.Unlock()
		return schemas.CommandResult{}, errors.New("broker unavailable")
	}
	res, notify, err := f.apply(cmd)
	lost := f.loseFirst && f.attempts[id] == 1
	watchers := slices.Clone(f.watchers)
	f.mu.Unlock()
	if err != nil {
		return res, err
	}
	for _, p := range watchers {
		notify(p)
	}
	if lost {
		return schemas.CommandResult{}, errors.New("the result was lost")
	}
	return res, nil
}

func (f *fakeDepot) apply(cmd schemas.Command) (schemas.CommandResult, func(*bots.Pool), error) {
	f.offset++
	f.now = f.now.Add(time.Millisecond)
	id := cmd.CommandMetadata().AggregateID
	switch c := cmd.(type) {
	case depot.ShoppingListCommand:
		out, err := aggregate.Execute(depotrules.ShoppingListRules, f.lists[id], aggregate.Input[depot.ShoppingListCommand, depot.ShoppingListEvent]{Command: c, Offset: f.offset, Now: f.now, Facts: facts})
		if err != nil {
			return out.Result, nil, err
		}
		for _, ev := range out.Events {
			f.events = append(f.events, ev)
		}
		if out.Next != nil {
			f.lists[id] = out.Next
		}
		snap := f.lists[id]
		return out.Result, func(p *bots.Pool) { p.ObserveList(snap) }, nil
	case depot.BotCommand:
		out, err := aggregate.Execute(depotrules.BotRules, f.bots[id], aggregate.Input[depot.BotCommand, depot.BotEvent]{Command: c, Offset: f.offset, Now: f.now})
		if err != nil {
			return out.Result, nil, err
		}
		for _, ev := range out.Events {
			f.events = append(f.events, ev)
		}
		if out.Next != nil {
			f.bots[id] = out.Next
		}
		snap := f.bots[id]
		return out.Result, func(p *bots.Pool) { p.ObserveBot(snap) }, nil
	}
	return schemas.CommandResult{}, nil, fmt.Errorf("not a depot command: %T", cmd)
}

// must applies a command the test issues itself and fails unless accepted.
func (f *fakeDepot) must(t *testing.T, cmd schemas.Command, aggregateID string) {
	t.Helper()
	m := cmd.CommandMetadata()
	m.AggregateID, m.CommandID = aggregateID, fmt.Sprintf("test-%d", time.Now().UnixNano())
	res, err := f.SendAndWait(context.Background(), cmd)
	if err != nil || !res.Accepted {
		t.Fatalf("%T %s: %+v %v", cmd, aggregateID, res, err)
	}
}

// available creates a list and initiates it at the given instant.
func (f *fakeDepot) available(t *testing.T, id string, availableAt time.Time) {
	t.Helper()
	f.must(t, &depot.CreateShoppingList{OrderID: "order-" + id, Items: []depot.ListItem{{StoreID: "s1", ProductID: "p1", Quantity: 1}}}, id)
	f.mu.Lock()
	f.now = availableAt.Add(-time.Millisecond)
	f.mu.Unlock()
	f.must(t, &depot.InitiateShopping{}, id)
}

// watch tells p about every current snapshot, then about every new one.
func (f *fakeDepot) watch(p *bots.Pool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.lists {
		p.ObserveList(s)
	}
	if !f.hideBots {
		for _, s := range f.bots {
			p.ObserveBot(s)
		}
	}
	f.watchers = append(f.watchers, p)
}

func (f *fakeDepot) unwatch(p *bots.Pool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watchers = slices.DeleteFunc(f.watchers, func(w *bots.Pool) bool { return w == p })
}

// attemptsOf counts the attempts to send a type of command.
func (f *fakeDepot) attemptsOf(typeName string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.sent {
		if strings.TrimPrefix(fmt.Sprintf("%T", c), "*depot.") == typeName {
			n++
		}
	}
	return n
}

// releasedFrom says whether the pool asked to release bot from list.
func (f *fakeDepot) releasedFrom(bot, list string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.sent {
		if r, ok := c.(*depot.ReleaseBot); ok && r.AggregateID == bot && r.ShoppingListID == list {
			return true
		}
	}
	return false
}

// count counts the events of a type per aggregate.
func count[E schemas.Event](f *fakeDepot) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, ev := range f.events {
		if _, ok := ev.(E); ok {
			n[ev.EventMetadata().AggregateID]++
		}
	}
	return n
}

// assignments lists the ShoppingListAssigned events in order.
func (f *fakeDepot) assignments() []*depot.ShoppingListAssigned {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*depot.ShoppingListAssigned
	for _, ev := range f.events {
		if a, ok := ev.(*depot.ShoppingListAssigned); ok {
			out = append(out, a)
		}
	}
	return out
}

func (f *fakeDepot) status(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.lists[id]; s != nil {
		return s.State.Status
	}
	return ""
}

func (f *fakeDepot) bot(id string) depot.Bot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.bots[id]; s != nil {
		return s.State
	}
	return depot.Bot{Status: depotrules.BotIdle}
}

// caughtUp is a feed that has nothing left to replay: the fake depot tells
// the pool directly.
type caughtUp struct{}

func (caughtUp) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (caughtUp) Recovered() bool               { return true }

// running is a started pool.
type running struct {
	pool *bots.Pool
	stop func()
}

func start(t *testing.T, f *fakeDepot, cfg bots.Config) running {
	t.Helper()
	cfg.Commands = f
	cfg.RetryBackoff = time.Millisecond
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := bots.New(cfg)
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
	p := start(t, f, bots.Config{Bots: 1, ShoppingTime: time.Millisecond})
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
	p := start(t, f, bots.Config{Bots: 5, ShoppingTime: 5 * time.Millisecond})
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
	p := start(t, f, bots.Config{Bots: 2, ShoppingTime: time.Millisecond})
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
	p := start(t, f, bots.Config{Bots: 1, ShoppingTime: 300 * time.Millisecond})
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
	first := start(t, f, bots.Config{Bots: 2, ShoppingTime: time.Hour})
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return len(f.assignments()) == 2, fmt.Sprintf("%d assignments", len(f.assignments()))
	})
	first.stop()
	before := map[string]string{}
	for _, a := range f.assignments() {
		before[a.AggregateID] = a.BotID
	}

	second := start(t, f, bots.Config{Bots: 2, ShoppingTime: time.Millisecond})
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
	p := start(t, f, bots.Config{Bots: 2, ShoppingTime: time.Millisecond})
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
	start(t, f, bots.Config{Bots: 1, ShoppingTime: time.Millisecond})
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
	p := start(t, f, bots.Config{Bots: 1, ShoppingTime: time.Millisecond})
	everyListCompletedOnce(t, f, []string{"unseen", "oldest"}, p.pool.IDs())
	if got := f.assignments(); got[0].AggregateID != "unseen" {
		t.Fatalf("bot-1 finished %s first, not the list it was on", got[0].AggregateID)
	}
}

func TestAPoolNeedsBotsAndCommands(t *testing.T) {
	_, err := bots.New(bots.Config{Bots: 0, ShoppingTime: -time.Second})
	if err == nil {
		t.Fatal("a pool without bots, with a negative time and without Commands was accepted")
	}
	for _, want := range []string{"at least one bot", "cannot be negative", "Commands"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	p, err := bots.New(bots.Config{Bots: 3, Commands: newFakeDepot()})
	if err != nil || !slices.Equal(p.IDs(), []string{"bot-1", "bot-2", "bot-3"}) {
		t.Fatalf("ids %v, %v", p.IDs(), err)
	}
}
