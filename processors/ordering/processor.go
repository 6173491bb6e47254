package ordering

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// Groups are the goka groups of the ordering context: the Order
// aggregate's. Its rules read no other table: CreateOrder carries the
// checked-out basket's lines.
func Groups(rt *engine.Runtime) []*goka.GroupGraph {
	return []*goka.GroupGraph{engine.Group(rt, topics.Orders, OrderRules, nil)}
}
