package ordering

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// OrderGroup is the goka group of the Order aggregate. Its rules read no
// other table: CreateOrder carries the checked-out basket's lines.
func OrderGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Orders, OrderRules, nil, deps)
}

// Groups are the goka groups of the ordering context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{OrderGroup(deps)}
}
