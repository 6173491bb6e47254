package depot_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): each depot group is a
// valid goka graph built only from names in the topics catalogue, without
// I/O.
func TestDepotGroupGraphsUseTheCatalogue(t *testing.T) {
	t.Run("shopping list looks up stores and products", func(t *testing.T) {
		enginetest.AssertAggregateGraph(t, depot.ShoppingListGroup(engine.Deps{}), topics.ShoppingLists,
			topics.Stores.Table.Name, topics.Products.Table.Name)
	})
	t.Run("bot", func(t *testing.T) {
		enginetest.AssertAggregateGraph(t, depot.BotGroup(engine.Deps{}), topics.Bots)
	})
	enginetest.AssertContextGroups(t, depot.Groups(engine.Deps{}), topics.ShoppingLists, topics.Bots)
}
