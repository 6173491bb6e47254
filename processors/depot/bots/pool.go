// Package bots runs the depot's bots: a pool of N bots ("bot-1".."bot-N")
// that take the oldest available shopping list, are assigned to it, "shop"
// for a configured time, complete it and go idle again. It is a Go
// component, not a goka group: it consumes the shopping lists and bots
// tables (goka views feeding Observe, see feeds.go) and sends commands to
// the ShoppingList and Bot aggregates through Commands (emitters.Commands),
// waiting for each result.
//
// One trip of bot b on list L is four commands, each with an id derived
// from (b, L) so that a retry, or the same step taken again after a
// restart, is answered by the aggregate's deduplication instead of applied
// twice:
//
//	AssignBot(b, L)            b becomes active on L (refused while b is busy)
//	AssignShoppingList(L, b)   L becomes assigned to b (refused unless available)
//	… shop for the shopping time (WithShoppingTime) …
//	CompleteShoppingList(L)    refused if L was canceled meanwhile: fine
//	ReleaseBot(b, L)           b becomes idle
//
// If AssignShoppingList is refused (canceled, or another pool's bot got it)
// the bot is released at once. The bot's own state is the log of record of
// what it is doing: on start every bot that is active on a list resumes
// that trip from AssignShoppingList (a list still available is assigned to
// it, a list assigned to it is shopped and completed, a canceled or
// completed one just releases the bot), and only then do idle bots take new
// lists. So a restart neither loses nor double-assigns a list.
package bots

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	depotrules "github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/depot"
)

// Commands sends a command and waits for its result; emitters.Commands
// does. An error means the result is not known (it is retried with the
// same command id), never a rejection.
type Commands interface {
	SendAndWait(ctx context.Context, cmd schemas.Command) (schemas.CommandResult, error)
}

// Feed keeps the pool informed: it calls ObserveList or ObserveBot for
// every record of its table, from the beginning, then for every change.
// A goka view does (see Views).
type Feed interface {
	Run(ctx context.Context) error
	// Recovered says the feed has caught up with its table.
	Recovered() bool
}

// Pool is a running set of bots.
type Pool struct {
	cfg   config
	ids   []string
	index *Index
	ready atomic.Bool

	mu   sync.Mutex
	bots map[string]*botState

	completed atomic.Int64
}

// botState is what the bots table last said about one of the pool's bots.
type botState struct {
	version int64
	active  bool
	list    string
	changed chan struct{} // closed at the next update
}

// New returns a pool of n bots (at least 1) that send their commands
// through cmds; Run starts it.
func New(n int, cmds Commands, opts ...Option) (*Pool, error) {
	cfg, err := newConfig(n, cmds, opts)
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, index: NewIndex(), bots: map[string]*botState{}}
	for i := 1; i <= cfg.bots; i++ {
		id := cfg.prefix + strconv.Itoa(i)
		p.ids = append(p.ids, id)
		p.bots[id] = &botState{changed: make(chan struct{})}
	}
	p.cfg.log = cfg.log.With("component", "bots")
	return p, nil
}

// IDs are the pool's bot ids.
func (p *Pool) IDs() []string { return append([]string(nil), p.ids...) }

// Ready says the pool has caught up with the tables and its bots are
// working.
func (p *Pool) Ready() bool { return p.ready.Load() }

// Completed counts the lists this pool's bots completed since it started.
func (p *Pool) Completed() int64 { return p.completed.Load() }

// Available is the number of lists waiting for a bot.
func (p *Pool) Available() int { return p.index.Available() }

// ObserveList takes note of a shopping list's current state.
func (p *Pool) ObserveList(snap *depot.ShoppingListSnapshot) {
	if snap == nil || snap.Version == 0 {
		return
	}
	p.index.Observe(snap.AggregateID, snap.State.Status == depotrules.StatusAvailable, snap.State.AvailableAt)
}

// ObserveBot takes note of a bot's current state; bots of other pools are
// ignored.
func (p *Pool) ObserveBot(snap *depot.BotSnapshot) {
	if snap == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.bots[snap.AggregateID]
	if !ok || snap.Version < st.version {
		return
	}
	st.version = snap.Version
	st.active = snap.State.Status == depotrules.BotActive
	st.list = snap.State.ShoppingListID
	close(st.changed)
	st.changed = make(chan struct{})
}

func (p *Pool) bot(id string) botState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.bots[id]
}

// Run runs the feeds, waits until they have caught up, resumes the bots
// that are active on a list, then lets every bot work until ctx ends. A
// feed's failure stops the pool and is returned.
func (p *Pool) Run(ctx context.Context, feeds ...Feed) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var failure error
	var once sync.Once
	for _, f := range feeds {
		wg.Go(func() {
			if err := f.Run(ctx); err != nil && ctx.Err() == nil {
				once.Do(func() { failure = err })
				cancel()
			}
		})
	}
	defer wg.Wait()
	if !p.awaitFeeds(ctx, feeds) {
		wg.Wait()
		return failure
	}
	for _, id := range p.ids {
		if st := p.bot(id); st.active {
			p.index.Reserve(st.list)
			p.cfg.log.Info("resuming a bot that is on a shopping list", "bot_id", id, "shopping_list_id", st.list)
		}
	}
	p.ready.Store(true)
	defer p.ready.Store(false)
	p.cfg.log.Info("bots working", "bots", len(p.ids), "shopping_time", p.cfg.shoppingTime, "available_lists", p.index.Available())
	for _, id := range p.ids {
		wg.Go(func() { p.work(ctx, id) })
	}
	<-ctx.Done()
	wg.Wait()
	return failure
}

// awaitFeeds polls the feeds until all have recovered (goka views offer no
// notification that survives a reconnect).
func (p *Pool) awaitFeeds(ctx context.Context, feeds []Feed) bool {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		all := true
		for _, f := range feeds {
			all = all && f.Recovered()
		}
		if all {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
