package baskets_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): the basket group is a
// valid goka graph built only from names in the topics catalogue, without
// I/O. The rules read the customer, the product and its store; nothing else.
func TestBasketGroupGraphUsesTheCatalogue(t *testing.T) {
	enginetest.AssertAggregateGraph(t, baskets.BasketGroup(engine.Deps{}), topics.Baskets,
		topics.Customers.Table.Name, topics.Products.Table.Name, topics.Stores.Table.Name)
	enginetest.AssertContextGroups(t, baskets.Groups(engine.Deps{}), topics.Baskets)
}
