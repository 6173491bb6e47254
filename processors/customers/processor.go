package customers

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// CustomerGroup is the goka group of the Customer aggregate. It reads no
// other table.
func CustomerGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Customers, CustomerRules, nil, deps)
}

// Groups are the goka groups of the customers context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{CustomerGroup(deps)}
}
