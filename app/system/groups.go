package system

import (
	"slices"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/notifications"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/processors/policies"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/processors/stores"
)

// groups are the goka groups of every context: one line per context.
func groups(rt *engine.Runtime, cfg Config) []*goka.GroupGraph {
	return slices.Concat(
		[]*goka.GroupGraph{
			saga.Group(rt, cfg.SagaStepTimeout),
			policies.Group(rt),
			notifications.Group(rt, nil),
		},
		stores.Groups(rt),
		customers.Groups(rt),
		payments.Groups(rt),
		baskets.Groups(rt),
		ordering.Groups(rt),
		depot.Groups(rt),
	)
}
