package baskets

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// BasketLookups are the tables the basket's rules read: the customer of
// StartBasket, the product of AddItem and that product's store.
var BasketLookups = []string{topics.Customers.Table.Name, topics.Products.Table.Name, topics.Stores.Table.Name}

// BasketGroup is the goka group of the Basket aggregate.
func BasketGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Baskets, BasketRules, BasketLookups, deps)
}

// Groups are the goka groups of the baskets context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{BasketGroup(deps)}
}
