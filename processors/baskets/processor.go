package baskets

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// BasketLookups are the tables the basket's rules read: the customer of
// StartBasket, the product of AddItem and that product's store.
var BasketLookups = []string{topics.Customers.Table.Name, topics.Products.Table.Name, topics.Stores.Table.Name}

// Groups are the goka groups of the baskets context: the Basket
// aggregate's.
func Groups(rt *engine.Runtime) []*goka.GroupGraph {
	return []*goka.GroupGraph{engine.Group(rt, topics.Baskets, BasketRules, BasketLookups)}
}
