package customers_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): the customer group is a
// valid goka graph built only from names in the topics catalogue; it reads
// no other table.
func TestCustomerGroupGraphUsesTheCatalogue(t *testing.T) {
	enginetest.AssertContextGroups(t, customers.Groups(engine.Deps{}), topics.Customers)
	enginetest.AssertAggregateGraph(t, customers.CustomerGroup(engine.Deps{}), topics.Customers)
}
