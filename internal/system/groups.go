package system

import (
	"slices"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/stores"
)

// groups are the goka groups of every context: one line per context.
func groups(deps engine.Deps) []*goka.GroupGraph {
	return slices.Concat(
		stores.Groups(deps),
		baskets.Groups(deps),
		ordering.Groups(deps),
	)
}
