// Package projections maps MallBots records to ClickHouse rows for the
// warehouse projector: every event into mallbots.events (the analysts'
// history), and every state-table snapshot into its current-state table
// (ReplacingMergeTree on version, read with FINAL).
package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
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
func Events(sd *serde.Serde) warehouse.Projection {
	guard := newEventsGuard()
	return warehouse.Projection{
		Name:        "events",
		Group:       topics.ProjectorEvents,
		Topics:      topics.EventTopics(),
		Tables:      []warehouse.Table{EventsTable},
		Map:         func(rec *kgo.Record) ([]warehouse.Row, error) { return eventRow(sd, rec) },
		Guard:       guard.check,
		OnRebalance: guard.forget,
		// A refused copy is kept for the operator and the auditors.
		DeadLetter: topics.DeadLetter.Name,
	}
}

func eventRow(sd *serde.Serde, rec *kgo.Record) ([]warehouse.Row, error) {
	ctx := context.Background()
	pos := serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
	v, err := sd.Decode(ctx, pos, rec.Value)
	if err != nil {
		return nil, err
	}
	ev, ok := v.(schemas.Event)
	if !ok {
		return nil, fmt.Errorf("%s: %T is not an event", pos, v)
	}
	name, version, err := sd.Writer(ctx, rec.Value)
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
		rec.Topic, uint32(rec.Partition), uint64(rec.Offset), m.PrevHash, m.Hash,
		m.IssuedBy, m.IssuerRole,
	}}}, nil
}

// StateTable maps one aggregate's snapshots to its current-state table.
type StateTable struct {
	Aggregate topics.Aggregate
	Table     warehouse.Table
	// Row reads one snapshot record of the aggregate's table and returns
	// its row, in the table's column order; no row for a snapshot with
	// Version 0 (only rejections recorded: no aggregate yet).
	Row func(sd *serde.Serde, pos serde.Position, value []byte) ([]any, error)
}

// rowOf makes a row reader (a StateTable's Row, the search projection's) from the
// mapping of a snapshot's head; no row for a snapshot with Version 0. The
// window of recent commands is skipped, not decoded: it is most of a
// snapshot's bytes and decoding cost, and no column. A snapshot written
// with an older schema version is decoded whole (and upcast), then cut to
// its head.
func rowOf[S any](row func(s *schemas.Head[S]) []any) func(*serde.Serde, serde.Position, []byte) ([]any, error) {
	return func(sd *serde.Serde, pos serde.Position, value []byte) ([]any, error) {
		ctx := context.Background()
		h := new(schemas.Head[S])
		latest, err := sd.DecodeInto(ctx, pos, value, h)
		if err != nil {
			return nil, err
		}
		if !latest {
			v, err := sd.Decode(ctx, pos, value)
			if err != nil {
				return nil, err
			}
			s, ok := v.(*schemas.Snapshot[S])
			if !ok {
				return nil, fmt.Errorf("%s: expected a %T, got %T", pos, s, v)
			}
			h = s.Head()
		}
		if h.Version == 0 {
			return nil, nil
		}
		return row(h), nil
	}
}

// stateTables lists every context's current-state tables: one line per
// context, its mappings in <context>.go.
func stateTables() []StateTable {
	return slices.Concat(
		storesState(),
		customersState(),
		paymentsState(),
		basketsState(),
		orderingState(),
		depotState(),
	)
}

// State projects the state tables into the current-state tables.
func State(sd *serde.Serde) warehouse.Projection {
	byTopic := map[string]StateTable{}
	p := warehouse.Projection{Name: "state", Group: topics.ProjectorState}
	for _, st := range stateTables() {
		byTopic[st.Aggregate.Table.Name] = st
		p.Topics = append(p.Topics, st.Aggregate.Table.Name)
		p.Tables = append(p.Tables, st.Table)
	}
	p.Map = func(rec *kgo.Record) ([]warehouse.Row, error) {
		if rec.Value == nil {
			return nil, nil // a tombstone: nothing deletes aggregates
		}
		st, ok := byTopic[rec.Topic]
		if !ok {
			return nil, fmt.Errorf("%s: no state projection", rec.Topic)
		}
		pos := serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
		values, err := st.Row(sd, pos, rec.Value)
		if err != nil || values == nil {
			return nil, err
		}
		return []warehouse.Row{{Table: st.Table.Name, Values: values}}, nil
	}
	return p
}

// Flag is ClickHouse's boolean: UInt8.
func Flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Seconds truncates a time to ClickHouse DateTime's precision, in UTC.
func Seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Money turns cents into Decimal(18,2).
func Money(cents int64) decimal.Decimal { return decimal.New(cents, -2) }
