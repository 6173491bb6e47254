package projections

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// The analytics projection is a Go projection rather than materialized
// views over mallbots.events, on purpose:
//
//   - A materialized view sees every INSERT into events, duplicates
//     included, and 18.16 can only aggregate them by summing; the fact
//     tables here are keyed so that a redelivered event collapses, like
//     every other table of the warehouse.
//   - OrderCreated's items are a JSON array inside payload, and 18.16 has
//     no JSON array functions (JSONExtract came in 19.x); the projection
//     reads the typed, upcast event instead.
//   - A view fills only from inserts after its creation (POPULATE races
//     with them); a projection starts at offset 0 of the log, and
//     `mallbots replay --projection analytics` rebuilds it like any other.
//
// Milestones and steps, as analysts see them in the tables.
const (
	MilestoneCreated   = "created"
	MilestoneApproved  = "approved"
	MilestoneReady     = "ready"
	MilestoneCompleted = "completed"
	MilestoneRejected  = "rejected"
	MilestoneCanceled  = "canceled"

	StepStarted     = "started"
	StepItemAdded   = "item_added"
	StepItemRemoved = "item_removed"
	StepCheckedOut  = "checked_out"
	StepCanceled    = "canceled"
)

// Analytics projects the order and basket event logs into the analytics
// fact tables: order_lines, order_milestones and basket_activity.
func Analytics(sd *serde.Serde) warehouse.Projection {
	return warehouse.Projection{
		Name:   "analytics",
		Group:  topics.ProjectorAnalytics,
		Topics: []string{topics.Orders.Events.Name, topics.Baskets.Events.Name},
		Tables: []warehouse.Table{warehouse.OrderLinesTable, warehouse.OrderMilestonesTable, warehouse.BasketActivityTable},
		Map: func(rec *kgo.Record) ([]warehouse.Row, error) {
			pos := serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
			v, err := sd.Decode(context.Background(), pos, rec.Value)
			if err != nil {
				return nil, err
			}
			ev, ok := v.(schemas.Event)
			if !ok {
				return nil, fmt.Errorf("%s: %T is not an event", pos, v)
			}
			rows, err := AnalyticsRows(ev)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pos, err)
			}
			return rows, nil
		},
	}
}

// AnalyticsRows maps one event to its analytics rows: an order or basket
// event gives rows, any other event none. An order or basket event type it
// does not know is an error, so that a new event type is not silently left
// out of the analytics (the projector logs and skips it; add it here).
func AnalyticsRows(ev schemas.Event) ([]warehouse.Row, error) {
	switch e := ev.(type) {
	case ordering.OrderEvent:
		return orderRows(e)
	case baskets.BasketEvent:
		return basketRows(e)
	}
	return nil, nil
}

func orderRows(ev ordering.OrderEvent) ([]warehouse.Row, error) {
	m := ev.EventMetadata()
	milestone := func(name, reason string, totalCents int64) warehouse.Row {
		return warehouse.Row{Table: warehouse.OrderMilestonesTable.Name, Values: []any{
			m.AggregateID, name, reason, Money(totalCents), Seconds(m.OccurredAt), uint64(m.OccurredAt.UnixMilli()), uint64(m.AggregateVersion),
		}}
	}
	switch e := ev.(type) {
	case *ordering.OrderCreated:
		rows := make([]warehouse.Row, 0, len(e.Items)+1)
		for i, it := range e.Items {
			rows = append(rows, warehouse.Row{Table: warehouse.OrderLinesTable.Name, Values: []any{
				m.AggregateID, uint32(i), e.CustomerID, it.StoreID, it.StoreName, it.ProductID, it.ProductName,
				Money(it.PriceCents), uint32(it.Quantity), Money(it.PriceCents * int64(it.Quantity)), Seconds(m.OccurredAt),
			}})
		}
		return append(rows, milestone(MilestoneCreated, "", e.TotalCents)), nil
	case *ordering.OrderApproved:
		return []warehouse.Row{milestone(MilestoneApproved, "", 0)}, nil
	case *ordering.OrderReadied:
		return []warehouse.Row{milestone(MilestoneReady, "", e.TotalCents)}, nil
	case *ordering.OrderCompleted:
		return []warehouse.Row{milestone(MilestoneCompleted, "", 0)}, nil
	case *ordering.OrderRejected:
		return []warehouse.Row{milestone(MilestoneRejected, e.Reason, 0)}, nil
	case *ordering.OrderCanceled:
		return []warehouse.Row{milestone(MilestoneCanceled, "", 0)}, nil
	}
	return nil, fmt.Errorf("analytics: order event %T has no milestone: add it to views/projections/analytics.go", ev)
}

func basketRows(ev baskets.BasketEvent) ([]warehouse.Row, error) {
	m := ev.EventMetadata()
	step := func(name, customer, product string, quantity int32) []warehouse.Row {
		return []warehouse.Row{{Table: warehouse.BasketActivityTable.Name, Values: []any{
			m.AggregateID, name, customer, product, uint32(max(quantity, 0)),
			Seconds(m.OccurredAt), uint64(m.OccurredAt.UnixMilli()), uint64(m.AggregateVersion),
		}}}
	}
	switch e := ev.(type) {
	case *baskets.BasketStarted:
		return step(StepStarted, e.CustomerID, "", 0), nil
	case *baskets.BasketItemAdded:
		return step(StepItemAdded, "", e.Item.ProductID, e.Item.Quantity), nil
	case *baskets.BasketItemRemoved:
		return step(StepItemRemoved, "", e.ProductID, e.Quantity), nil
	case *baskets.BasketCheckedOut:
		return step(StepCheckedOut, e.CustomerID, "", 0), nil
	case *baskets.BasketCanceled:
		return step(StepCanceled, "", "", 0), nil
	}
	return nil, fmt.Errorf("analytics: basket event %T has no step: add it to views/projections/analytics.go", ev)
}
