package engine_test

import (
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/idempotency"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/topics"
)

// aggregateGroup is an aggregate's group as a context must build it: the
// catalogue's names, and the tables its rules read.
type aggregateGroup struct {
	names   topics.Aggregate
	lookups []string
}

// contexts are the contexts whose groups are aggregates, and what each
// must build: every aggregate of the catalogue, each in one context.
var contexts = []struct {
	name   string
	groups func(*engine.Runtime) []*goka.GroupGraph
	want   []aggregateGroup
}{
	{"stores", stores.Groups, []aggregateGroup{
		{topics.Stores, nil},
		{topics.Products, []string{topics.Stores.Table.Name}}, // AddProduct's store
	}},
	{"customers", customers.Groups, []aggregateGroup{{topics.Customers, nil}}},
	{"payments", payments.Groups, []aggregateGroup{
		{topics.Payments, []string{topics.Customers.Table.Name}}, // AuthorizePayment's customer
		{topics.Invoices, nil},
	}},
	{"baskets", baskets.Groups, []aggregateGroup{
		// StartBasket's customer, AddItem's product and its store.
		{topics.Baskets, []string{topics.Customers.Table.Name, topics.Products.Table.Name, topics.Stores.Table.Name}},
	}},
	{"ordering", ordering.Groups, []aggregateGroup{{topics.Orders, nil}}}, // CreateOrder carries its lines
	{"depot", depot.Groups, []aggregateGroup{
		{topics.ShoppingLists, []string{topics.Stores.Table.Name, topics.Products.Table.Name}}, // names the stops and items
		{topics.Bots, nil},
	}},
	{"idempotency", idempotency.Groups, []aggregateGroup{{topics.IdempotencyKeys, nil}}},
}

// The topology is a value (CONTRIBUTING.md, rule 1): each context's groups
// are valid goka graphs built only from names in the topics catalogue,
// without I/O, one per aggregate, each looking up exactly the tables its
// rules read.
func TestEveryAggregateGroupUsesTheCatalogue(t *testing.T) {
	rt := engine.New(nil)
	seen := map[string]bool{}
	for _, c := range contexts {
		t.Run(c.name, func(t *testing.T) {
			groups := c.groups(rt)
			var names []topics.Aggregate
			for _, w := range c.want {
				names = append(names, w.names)
				seen[w.names.Type] = true
			}
			enginetest.AssertContextGroups(t, groups, names...)
			for _, w := range c.want {
				for _, gg := range groups {
					if gg.Group() == goka.Group(w.names.Group) {
						t.Run(w.names.Type, func(t *testing.T) { enginetest.AssertAggregateGraph(t, gg, w.names, w.lookups...) })
					}
				}
			}
		})
	}
	for _, a := range topics.EngineAggregates() {
		if !seen[a.Type] {
			t.Errorf("the aggregate %s is in no context here: add its context", a.Type)
		}
	}
}
