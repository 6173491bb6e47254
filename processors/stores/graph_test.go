package stores_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): each stores group is a
// valid goka graph built only from names in the topics catalogue, without
// I/O.
func TestStoresGroupGraphsUseTheCatalogue(t *testing.T) {
	t.Run("store", func(t *testing.T) {
		enginetest.AssertAggregateGraph(t, stores.StoreGroup(engine.Deps{}), topics.Stores)
	})
	t.Run("product looks up the stores table", func(t *testing.T) {
		enginetest.AssertAggregateGraph(t, stores.ProductGroup(engine.Deps{}), topics.Products, topics.Stores.Table.Name)
	})
	enginetest.AssertContextGroups(t, stores.Groups(engine.Deps{}), topics.Stores, topics.Products)
}
