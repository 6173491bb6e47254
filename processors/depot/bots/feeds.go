package bots

import (
	"context"
	"fmt"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/storage"

	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Views builds the pool's feeds: a goka view of the shopping lists table
// that maintains the index, and one of the bots table that tracks the
// pool's bots. They keep nothing themselves (in-memory storage, nothing
// stored: the pool holds what it needs), so every start replays both
// compacted tables through the pool from the beginning; the cost is the
// number of shopping lists in the table, once per start.
//
// opts are the views' options (gokart.Runtime.ViewOptions), given the
// view's name; the storage builder and update callback are replaced.
func Views(p *Pool, brokers []string, sd *serde.Serde, opts func(name string) []goka.ViewOption) ([]Feed, error) {
	lists, err := view(brokers, topics.ShoppingLists.Table, sd, opts("depot-bots-shoppinglists"), func(v any) {
		if snap, ok := v.(*depot.ShoppingListSnapshot); ok {
			p.ObserveList(snap)
		}
	}, p)
	if err != nil {
		return nil, err
	}
	bots, err := view(brokers, topics.Bots.Table, sd, opts("depot-bots-bots"), func(v any) {
		if snap, ok := v.(*depot.BotSnapshot); ok {
			p.ObserveBot(snap)
		}
	}, p)
	if err != nil {
		return nil, err
	}
	return []Feed{lists, bots}, nil
}

func view(brokers []string, table topics.Topic, sd *serde.Serde, opts []goka.ViewOption, observe func(any), p *Pool) (*goka.View, error) {
	update := func(ctx goka.UpdateContext, _ storage.Storage, key string, value []byte) error {
		if value == nil {
			return nil // a tombstone: nothing deletes aggregates
		}
		pos := serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()}
		v, err := sd.Decode(context.Background(), pos, value)
		if err != nil {
			// One bad record must not stop the bots: skip it, loudly.
			p.cfg.log.Error("bots: skipping an undecodable table record", "key", key, "err", err)
			return nil
		}
		observe(v)
		return nil
	}
	opts = append(append([]goka.ViewOption(nil), opts...),
		goka.WithViewStorageBuilder(storage.MemoryBuilder()),
		goka.WithViewCallback(update))
	v, err := goka.NewView(brokers, goka.Table(table.Name), new(codec.Bytes), opts...)
	if err != nil {
		return nil, fmt.Errorf("bots: view of %s: %w", table.Name, err)
	}
	return v, nil
}
