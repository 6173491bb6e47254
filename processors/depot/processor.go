package depot

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// Groups are the goka groups of the depot context: the ShoppingList
// aggregate's, which looks up the stores and products tables to name the
// stops and items of a new list, and the Bot aggregate's.
func Groups(rt *engine.Runtime) []*goka.GroupGraph {
	return []*goka.GroupGraph{
		engine.Group(rt, topics.ShoppingLists, ShoppingListRules, []string{topics.Stores.Table.Name, topics.Products.Table.Name}),
		engine.Group(rt, topics.Bots, BotRules, nil),
	}
}
