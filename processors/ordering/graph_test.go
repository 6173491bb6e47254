package ordering_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): the order group is a
// valid goka graph built only from names in the topics catalogue, without
// I/O. Its rules read no other table.
func TestOrderGroupGraphUsesTheCatalogue(t *testing.T) {
	enginetest.AssertAggregateGraph(t, ordering.OrderGroup(engine.Deps{}), topics.Orders)
	enginetest.AssertContextGroups(t, ordering.Groups(engine.Deps{}), topics.Orders)
}
