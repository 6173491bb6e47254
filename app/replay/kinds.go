package replay

import (
	"fmt"
	"strings"
	"time"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// kind is one aggregate type with its types erased: the topics it lives in
// and how its events fold into its state. State values are the aggregate's
// state struct S held in an any.
type kind interface {
	names() topics.Aggregate
	// isEvent says whether ev is one of the aggregate's events.
	isEvent(ev schemas.Event) bool
	// evolve applies one event to state (nil: the aggregate does not exist
	// yet). An event of another aggregate type is an error.
	evolve(state any, ev schemas.Event) (any, error)
	// snapshot reads a decoded table value.
	snapshot(v any) (tableValue, bool)
	// newSnapshot builds the table record of a rebuilt aggregate.
	newSnapshot(r rebuilt) any
}

// tableValue is what a state-table record says about its aggregate.
type tableValue struct {
	id       string
	version  int64
	state    any
	lastHash string
}

// rebuilt is an aggregate folded from the log, ready to be written as a
// snapshot (see snapshot.go for what it carries).
type rebuilt struct {
	id         string
	version    int64
	state      any
	updatedAt  time.Time
	lastOffset int64
	recent     []schemas.Applied
	lastHash   string
}

type ruled[S any, C schemas.Command, E schemas.Event] struct {
	agg   topics.Aggregate
	rules aggregate.Rules[S, C, E]
}

func (k ruled[S, C, E]) names() topics.Aggregate { return k.agg }

func (k ruled[S, C, E]) isEvent(ev schemas.Event) bool {
	_, ok := ev.(E)
	return ok
}

func (k ruled[S, C, E]) evolve(state any, ev schemas.Event) (any, error) {
	e, ok := ev.(E)
	if !ok {
		return state, fmt.Errorf("%T is not a %s event", ev, k.agg.Type)
	}
	var s S
	if state != nil {
		s = state.(S)
	}
	return k.rules.Evolve(s, e)
}

func (k ruled[S, C, E]) snapshot(v any) (tableValue, bool) {
	snap, ok := v.(*schemas.Snapshot[S])
	if !ok {
		return tableValue{}, false
	}
	return tableValue{id: snap.AggregateID, version: snap.Version, state: snap.State, lastHash: snap.LastHash}, true
}

func (k ruled[S, C, E]) newSnapshot(r rebuilt) any {
	var s S
	if r.state != nil {
		s = r.state.(S)
	}
	return &schemas.Snapshot[S]{
		AggregateID: r.id, Version: r.version, LastOffset: r.lastOffset,
		UpdatedAt: r.updatedAt, Recent: r.recent, State: s, LastHash: r.lastHash,
	}
}

func kindOf[S any, C schemas.Command, E schemas.Event](a topics.Aggregate, r aggregate.Rules[S, C, E]) kind {
	return ruled[S, C, E]{agg: a, rules: r}
}

// kinds is every aggregate type, in the catalogue's order (a test keeps
// them equal to topics.Aggregates).
var kinds = []kind{
	kindOf(topics.Stores, stores.StoreRules),
	kindOf(topics.Products, stores.ProductRules),
	kindOf(topics.Customers, customers.CustomerRules),
	kindOf(topics.Baskets, baskets.BasketRules),
	kindOf(topics.Orders, ordering.OrderRules),
	kindOf(topics.Payments, payments.PaymentRules),
	kindOf(topics.Invoices, payments.InvoiceRules),
	kindOf(topics.ShoppingLists, depot.ShoppingListRules),
	kindOf(topics.Bots, depot.BotRules),
}

// Types lists the aggregate types ("store", "product", …).
func Types() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.names().Type
	}
	return out
}

// UnknownTypeError names an aggregate type or group nobody declared.
type UnknownTypeError struct{ Name string }

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("unknown aggregate %q: name a type (%s) or its group (mallbots.orders, …)",
		e.Name, strings.Join(Types(), ", "))
}

// find returns the kind named by its type ("order"), its group
// ("mallbots.orders" or "orders") or its table ("mallbots.orders-table").
func find(name string) (kind, error) {
	for _, k := range kinds {
		a := k.names()
		if name == a.Type || name == a.Group || name == strings.TrimPrefix(a.Group, "mallbots.") || name == a.Table.Name {
			return k, nil
		}
	}
	return nil, &UnknownTypeError{Name: name}
}

// selectKinds returns the kinds named, or all of them.
func selectKinds(names []string) ([]kind, error) {
	if len(names) == 0 {
		return kinds, nil
	}
	var out []kind
	for _, n := range names {
		k, err := find(n)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}
