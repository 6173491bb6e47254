package depot

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// ShoppingListGroup is the goka group of the ShoppingList aggregate; it looks
// up the stores and products tables to name the stops and items of a new
// list.
func ShoppingListGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.ShoppingLists, ShoppingListRules, []string{topics.Stores.Table.Name, topics.Products.Table.Name}, deps)
}

// BotGroup is the goka group of the Bot aggregate.
func BotGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Bots, BotRules, nil, deps)
}

// Groups are the goka groups of the depot context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{ShoppingListGroup(deps), BotGroup(deps)}
}
