// Package state serves point reads of aggregates from their state tables:
// a goka view per table, decoded into typed snapshots. Reads are local
// (each instance keeps a copy of the table), and a reader that just wrote
// can wait for the version its command produced (read-your-writes).
package state

import (
	"context"
	"fmt"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// View is a typed goka view of one aggregate's table.
type View[S any] struct {
	view  *goka.View
	table topics.Topic
	sd    *serde.Serde
}

// New creates the view; Run fills it.
func New[S any](brokers []string, table topics.Topic, sd *serde.Serde, opts ...goka.ViewOption) (*View[S], error) {
	v, err := goka.NewView(brokers, goka.Table(table.Name), new(codec.Bytes), opts...)
	if err != nil {
		return nil, fmt.Errorf("view of %s: %w", table.Name, err)
	}
	return &View[S]{view: v, table: table, sd: sd}, nil
}

// Run keeps the view up to date until ctx is done.
func (v *View[S]) Run(ctx context.Context) error { return v.view.Run(ctx) }

// Recovered says whether the view has caught up with its table.
func (v *View[S]) Recovered() bool { return v.view.Recovered() }

// Name is the table the view reads.
func (v *View[S]) Name() string { return v.table.Name }

// Stats are goka's figures for the view (partitions, states, records read).
func (v *View[S]) Stats(ctx context.Context) *goka.ViewStats { return v.view.Stats(ctx) }

// Get returns the snapshot of id, or nil when there is none.
func (v *View[S]) Get(ctx context.Context, id string) (*schemas.Snapshot[S], error) {
	raw, err := v.view.Get(id)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", id, v.table.Name, err)
	}
	return v.decode(ctx, id, raw)
}

func (v *View[S]) decode(ctx context.Context, id string, raw any) (*schemas.Snapshot[S], error) {
	b, _ := raw.([]byte)
	if b == nil {
		return nil, nil
	}
	d, err := v.sd.Decode(ctx, serde.Position{Topic: v.table.Name, Partition: topics.PartitionFor(id, v.table.Partitions), Offset: -1}, b)
	if err != nil {
		return nil, err
	}
	snap, ok := d.(*schemas.Snapshot[S])
	if !ok {
		return nil, fmt.Errorf("%s holds a %T for %s", v.table.Name, d, id)
	}
	if snap.Version == 0 {
		return nil, nil
	}
	return snap, nil
}

// AwaitVersion returns the snapshot of id once its version is at least
// version, polling the local view until ctx ends.
func (v *View[S]) AwaitVersion(ctx context.Context, id string, version int64) (*schemas.Snapshot[S], error) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		snap, err := v.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if snap != nil && snap.Version >= version {
			return snap, nil
		}
		select {
		case <-ctx.Done():
			return snap, fmt.Errorf("%s %s did not reach version %d: %w", v.table.Name, id, version, ctx.Err())
		case <-tick.C:
		}
	}
}

// Each calls fn for every aggregate in the table (in key order per
// partition) until fn returns false.
func (v *View[S]) Each(ctx context.Context, fn func(*schemas.Snapshot[S]) bool) error {
	it, err := v.view.Iterator()
	if err != nil {
		return fmt.Errorf("iterate %s: %w", v.table.Name, err)
	}
	defer it.Release()
	for it.Next() {
		raw, err := it.Value()
		if err != nil {
			return fmt.Errorf("iterate %s: %w", v.table.Name, err)
		}
		snap, err := v.decode(ctx, it.Key(), raw)
		if err != nil {
			return err
		}
		if snap != nil && !fn(snap) {
			return nil
		}
	}
	// A view that stops mid-way (its store closed under the iterator) ends
	// the iteration early: say so, or the caller takes a partial list for
	// the whole table.
	if err := it.Err(); err != nil {
		return fmt.Errorf("iterate %s: %w", v.table.Name, err)
	}
	return nil
}
