package moneypath

import (
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/processors/policies"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/schemas"
	basketsc "github.com/mallbots/mallbots/schemas/baskets"
	customersc "github.com/mallbots/mallbots/schemas/customers"
	depotc "github.com/mallbots/mallbots/schemas/depot"
	orderingc "github.com/mallbots/mallbots/schemas/ordering"
	paymentsc "github.com/mallbots/mallbots/schemas/payments"
	sagac "github.com/mallbots/mallbots/schemas/saga"
	storesc "github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// fataler is what the world reports a broken invariant to (*testing.T or
// *rapid.T).
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// table is one aggregate's table, as its processor holds it: the
// snapshots by aggregate id, and the offset of the last command.
type table[S any, C schemas.Command, E schemas.Event] struct {
	rules  aggregate.Rules[S, C, E]
	snaps  map[string]*schemas.Snapshot[S]
	offset int64
}

func newTable[S any, C schemas.Command, E schemas.Event](r aggregate.Rules[S, C, E]) *table[S, C, E] {
	return &table[S, C, E]{rules: r, snaps: map[string]*schemas.Snapshot[S]{}}
}

// fact is what a goka Lookup of key in this table decodes to: the snapshot,
// or nothing.
func (tb *table[S, C, E]) fact(key string) any {
	if s, ok := tb.snaps[key]; ok {
		return s
	}
	return nil
}

// state is an aggregate's current state (the zero state when it does not
// exist).
func (tb *table[S, C, E]) state(id string) S {
	if s, ok := tb.snaps[id]; ok {
		return s.State
	}
	var zero S
	return zero
}

// world is the whole mall run in memory on the pure rules, the way the
// processors run them: each command sees the facts its rules' Needs ask
// for in the other aggregates' tables, goes through aggregate.Execute, and
// its events are appended to one log; policies and the saga turn events
// into commands.
type world struct {
	t   fataler
	now time.Time
	seq int

	customers     *table[customersc.Customer, customersc.CustomerCommand, customersc.CustomerEvent]
	stores        *table[storesc.Store, storesc.StoreCommand, storesc.StoreEvent]
	products      *table[storesc.Product, storesc.ProductCommand, storesc.ProductEvent]
	baskets       *table[basketsc.Basket, basketsc.BasketCommand, basketsc.BasketEvent]
	orders        *table[orderingc.Order, orderingc.OrderCommand, orderingc.OrderEvent]
	payments      *table[paymentsc.Payment, paymentsc.PaymentCommand, paymentsc.PaymentEvent]
	invoices      *table[paymentsc.Invoice, paymentsc.InvoiceCommand, paymentsc.InvoiceEvent]
	shoppingLists *table[depotc.ShoppingList, depotc.ShoppingListCommand, depotc.ShoppingListEvent]

	// log is every event, in the order the aggregates appended them.
	log []schemas.Event
	// results are the results of the commands sent, in order.
	results []schemas.CommandResult
}

func newWorld(t fataler) *world {
	return &world{
		t: t, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
		customers:     newTable(customers.CustomerRules),
		stores:        newTable(stores.StoreRules),
		products:      newTable(stores.ProductRules),
		baskets:       newTable(baskets.BasketRules),
		orders:        newTable(ordering.OrderRules),
		payments:      newTable(payments.PaymentRules),
		invoices:      newTable(payments.InvoiceRules),
		shoppingLists: newTable(depot.ShoppingListRules),
	}
}

// lookup reads another aggregate's table, as goka Lookup does.
func (w *world) lookup(ref aggregate.Ref) any {
	switch ref.Table {
	case topics.Customers.Table.Name:
		return w.customers.fact(ref.Key)
	case topics.Stores.Table.Name:
		return w.stores.fact(ref.Key)
	case topics.Products.Table.Name:
		return w.products.fact(ref.Key)
	}
	w.t.Fatalf("a rule looked up %s, which no processor on the money path reads", ref.Table)
	return nil
}

// execute runs one command on its aggregate's table and returns its result
// and events. A command without an id gets a fresh one.
func execute[S any, C schemas.Command, E schemas.Event](w *world, tb *table[S, C, E], cmd C) (schemas.CommandResult, []E) {
	w.t.Helper()
	meta := cmd.CommandMetadata()
	if meta.CommandID == "" {
		w.seq++
		meta.CommandID = fmt.Sprintf("command-%d", w.seq)
	}
	facts := aggregate.Facts{}
	for range 4 { // as processors/engine asks Needs until it asks nothing new
		fresh := 0
		if tb.rules.Needs != nil {
			for _, ref := range tb.rules.Needs(cmd, facts) {
				if _, seen := facts[ref]; !seen {
					facts[ref] = w.lookup(ref)
					fresh++
				}
			}
		}
		if fresh == 0 {
			break
		}
	}
	tb.offset++
	out, err := aggregate.Execute(tb.rules, tb.snaps[meta.AggregateID], aggregate.Input[C, E]{
		Command: cmd, Offset: tb.offset, Now: w.now, Committed: -1, Facts: facts,
	})
	if err != nil {
		w.t.Fatalf("broken invariant: %v", err)
	}
	if out.Next != nil {
		tb.snaps[meta.AggregateID] = out.Next
	}
	for _, ev := range out.Events {
		w.log = append(w.log, ev)
	}
	return out.Result, out.Events
}

// take runs cmd on this table if it is this aggregate's command.
func (tb *table[S, C, E]) take(w *world, cmd schemas.Command) (schemas.CommandResult, bool) {
	c, ok := cmd.(C)
	if !ok {
		return schemas.CommandResult{}, false
	}
	res, _ := execute(w, tb, c)
	return res, true
}

// send routes a command to its aggregate, as the command topics do.
func (w *world) send(cmd schemas.Command) schemas.CommandResult {
	w.t.Helper()
	for _, tb := range []interface {
		take(*world, schemas.Command) (schemas.CommandResult, bool)
	}{w.customers, w.stores, w.products, w.baskets, w.orders, w.payments, w.invoices, w.shoppingLists} {
		if res, ok := tb.take(w, cmd); ok {
			w.results = append(w.results, res)
			return res
		}
	}
	w.t.Fatalf("no aggregate on the money path takes %T", cmd)
	return schemas.CommandResult{}
}

// react runs the policies on every event from the log's position from on,
// and on the events their commands append, until nothing more follows; an
// OrderCreated starts the saga, which is driven to its end: each step's
// command is sent and its result is the saga's reply.
func (w *world) react(from int) {
	w.t.Helper()
	for ; from < len(w.log); from++ {
		ev := w.log[from]
		if created, ok := ev.(*orderingc.OrderCreated); ok {
			w.runSaga(created)
		}
		for _, cmd := range policies.React(ev) {
			w.send(cmd)
		}
	}
}

func (w *world) runSaga(created *orderingc.OrderCreated) *sagac.CreateOrderSaga {
	w.t.Helper()
	out := saga.Start(nil, created, w.now, saga.DefaultStepTimeout)
	s, pending := out.Next, out.Send
	for len(pending) > 0 {
		res := w.send(pending[0])
		pending = pending[1:]
		next := saga.OnReply(s, &res, w.now, saga.DefaultStepTimeout)
		if next.Next == nil {
			w.t.Fatalf("the saga ignored the reply to its own step: %s", next.Ignored)
		}
		s = next.Next
		pending = append(pending, next.Send...)
	}
	if s.Status != saga.StatusApproved && s.Status != saga.StatusRejected {
		w.t.Fatalf("the saga of %s ended %s", created.AggregateID, s.Status)
	}
	return s
}

// money is what the API makes of an amount written as s in a JSON body
// (httpapi.Money), and whether it takes it; taken, it must be exactly the
// decimal's value in cents.
func money(t fataler, s string) (int64, bool) {
	t.Helper()
	var m httpapi.Money
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return 0, false
	}
	exact, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("the API took %s, which is not a decimal", s)
	}
	exact.Mul(exact, big.NewRat(100, 1))
	if !exact.IsInt() || exact.Num().Cmp(big.NewInt(int64(m))) != 0 {
		t.Fatalf("the API read %s as %d cents, want exactly %s", s, int64(m), exact.RatString())
	}
	return int64(m), true
}

// decimal writes cents as a JSON number in currency units with places
// decimals where the value allows fewer than two ("12", "12.5", "12.50").
func decimal(cents int64, places int) string {
	v := big.NewInt(cents)
	sign := ""
	if v.Sign() < 0 {
		sign = "-"
		v.Neg(v)
	}
	whole, frac := new(big.Int).QuoRem(v, big.NewInt(100), new(big.Int))
	f := frac.Int64()
	switch {
	case places == 0 && f == 0:
		return fmt.Sprintf("%s%s", sign, whole)
	case places == 1 && f%10 == 0:
		return fmt.Sprintf("%s%s.%d", sign, whole, f/10)
	}
	return fmt.Sprintf("%s%s.%02d", sign, whole, f)
}
