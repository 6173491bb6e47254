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
func groups(deps engine.Deps, cfg Config) []*goka.GroupGraph {
	return slices.Concat(
		[]*goka.GroupGraph{
			saga.Group(saga.Deps{Serde: deps.Serde, Log: deps.Log, StepTimeout: cfg.SagaStepTimeout, Tracer: deps.Tracer, Metrics: deps.Metrics}),
			policies.Group(deps.Serde, deps.Log, deps.Tracer),
			notifications.Group(notifications.Deps{Serde: deps.Serde, Log: deps.Log, Tracer: deps.Tracer, CatchUp: deps.CatchUp}),
		},
		stores.Groups(deps),
		customers.Groups(deps),
		payments.Groups(deps),
		baskets.Groups(deps),
		ordering.Groups(deps),
		depot.Groups(deps),
	)
}
