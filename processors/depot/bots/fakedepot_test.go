package bots_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
		res, snap, err := execute(f, depotrules.ShoppingListRules, f.lists, id, c, facts)
		return res, func(p *bots.Pool) { p.ObserveList(snap) }, err
	case depot.BotCommand:
		res, snap, err := execute(f, depotrules.BotRules, f.bots, id, c, nil)
		return res, func(p *bots.Pool) { p.ObserveBot(snap) }, err
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

// execute runs cmd through rules on the snapshot of id in snaps, as the
// engine would, keeps the events and the new snapshot, and returns the
// snapshot the views then show.
func execute[S any, C schemas.Command, E schemas.Event](f *fakeDepot, rules aggregate.Rules[S, C, E], snaps map[string]*schemas.Snapshot[S],
	id string, cmd C, facts aggregate.Facts) (schemas.CommandResult, *schemas.Snapshot[S], error) {
	out, err := aggregate.Execute(rules, snaps[id], aggregate.Input[C, E]{Command: cmd, Offset: f.offset, Now: f.now, Facts: facts})
	if err != nil {
		return out.Result, nil, err
	}
	for _, ev := range out.Events {
		f.events = append(f.events, ev)
	}
	if out.Next != nil {
		snaps[id] = out.Next
	}
	return out.Result, snaps[id], nil
}
