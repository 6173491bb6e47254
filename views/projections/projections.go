// Package projections maps MallBots records to ClickHouse rows for the
// warehouse projector: every event into mallbots.events (the analysts'
// history), and every state-table snapshot into its current-state table
// (ReplacingMergeTree on version, read with FINAL).
package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// The tables and their column order are the warehouse's (the analysts'
// contract, checked against the migrated schema there).
var (
	EventsTable   = warehouse.EventsTable
	StoresTable   = warehouse.StoresTable
	ProductsTable = warehouse.ProductsTable
)

// Events projects every event topic into mallbots.events.
func Events(serde *schemas.Serde) warehouse.Projection {
	return warehouse.Projection{
		Name:   "events",
		Group:  topics.ProjectorEvents,
		Topics: topics.EventTopics(),
		Tables: []warehouse.Table{EventsTable},
		Map:    func(rec *kgo.Record) ([]warehouse.Row, error) { return eventRow(serde, rec) },
	}
}

func eventRow(serde *schemas.Serde, rec *kgo.Record) ([]warehouse.Row, error) {
	ctx := context.Background()
	pos := schemas.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
	v, err := serde.Decode(ctx, pos, rec.Value)
	if err != nil {
		return nil, err
	}
	ev, ok := v.(schemas.Event)
	if !ok {
		return nil, fmt.Errorf("%s: %T is not an event", pos, v)
	}
	name, version, err := serde.Writer(ctx, rec.Value)
	if err != nil {
		return nil, err
	}
	agg, ok := topics.AggregateOf(rec.Topic)
	if !ok {
		return nil, fmt.Errorf("%s: not an event topic of the catalogue", pos)
	}
	payload, err := schemas.PayloadNative(ev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pos, err)
	}
	js, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pos, err)
	}
	m := ev.EventMetadata()
	return []warehouse.Row{{Table: EventsTable.Name, Values: []any{
		m.EventID, name, uint32(version), agg.Type, m.AggregateID, uint64(m.AggregateVersion),
		m.OccurredAt.UTC(), uint64(m.OccurredAt.UnixMilli()), m.CommandID, m.CorrelationID, m.CausationID, string(js),
		rec.Topic, uint32(rec.Partition), uint64(rec.Offset),
	}}}, nil
}

// State projects the state tables into the current-state tables.
func State(serde *schemas.Serde) warehouse.Projection {
	return warehouse.Projection{
		Name:   "state",
		Group:  topics.ProjectorState,
		Topics: []string{topics.Stores.Table.Name, topics.Products.Table.Name},
		Tables: []warehouse.Table{StoresTable, ProductsTable},
		Map:    func(rec *kgo.Record) ([]warehouse.Row, error) { return stateRow(serde, rec) },
	}
}

func stateRow(serde *schemas.Serde, rec *kgo.Record) ([]warehouse.Row, error) {
	if rec.Value == nil {
		return nil, nil // a tombstone: nothing deletes aggregates
	}
	pos := schemas.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
	v, err := serde.Decode(context.Background(), pos, rec.Value)
	if err != nil {
		return nil, err
	}
	switch s := v.(type) {
	case *stores.StoreSnapshot:
		if s.Version == 0 {
			return nil, nil
		}
		st := s.State
		return []warehouse.Row{{Table: StoresTable.Name, Values: []any{
			s.AggregateID, st.Name, st.Location, flag(st.Participating), uint64(s.Version), seconds(s.UpdatedAt)}}}, nil
	case *stores.ProductSnapshot:
		if s.Version == 0 {
			return nil, nil
		}
		p := s.State
		return []warehouse.Row{{Table: ProductsTable.Name, Values: []any{
			s.AggregateID, p.StoreID, p.Name, p.Description, p.SKU, decimal.New(p.PriceCents, -2), flag(p.Removed), uint64(s.Version), seconds(s.UpdatedAt)}}}, nil
	}
	return nil, fmt.Errorf("%s: no projection for %T", pos, v)
}

func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
