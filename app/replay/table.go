package replay

import (
	"context"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// tableEntry is the latest record of one key in a state table.
type tableEntry struct {
	raw []byte
	pos serde.Position
	val tableValue
	// err says why the record is not a sound snapshot of its key.
	err error
}

// table is a compacted topic read to its end: the latest record per key
// (a tombstone removes the key; a snapshot at version 0 holds nothing).
type table struct {
	name    string
	records int64
	entries map[string]*tableEntry
}

// readTable reads a state table (or its rebuild) of an aggregate to its
// end now.
func (l *Log) readTable(ctx context.Context, k kind, name string, progress io.Writer) (*table, error) {
	spans, err := l.spans(ctx, name)
	if err != nil {
		return nil, err
	}
	return l.readTableSpans(ctx, k, name, spans, progress)
}

// readTableSpans reads a table up to the given ends.
func (l *Log) readTableSpans(ctx context.Context, k kind, name string, spans map[int32]span, progress io.Writer) (*table, error) {
	t := &table{name: name, entries: map[string]*tableEntry{}}
	m := startMeter(progress, "read "+name, total(spans))
	err := l.read(ctx, name, spans, m, func(rec *kgo.Record) error {
		t.records++
		if rec.Value == nil {
			delete(t.entries, string(rec.Key))
			return nil
		}
		t.entries[string(rec.Key)] = &tableEntry{raw: rec.Value, pos: serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}}
		return nil
	})
	m.finish()
	if err != nil {
		return nil, err
	}
	for key, e := range t.entries {
		l.decodeEntry(ctx, k, key, e)
		if e.err == nil && e.val.version == 0 {
			delete(t.entries, key)
		}
	}
	return t, nil
}

// decodeEntry decodes the latest snapshot of key and checks it is one.
func (l *Log) decodeEntry(ctx context.Context, k kind, key string, e *tableEntry) {
	v, err := l.sd.Decode(ctx, e.pos, e.raw)
	if err != nil {
		e.err = err
		return
	}
	val, ok := k.snapshot(v)
	switch {
	case !ok:
		e.err = fmt.Errorf("holds a %T, not a %s snapshot", v, k.names().Type)
	case val.id != key:
		e.err = fmt.Errorf("the key is %q, the snapshot's aggregateId %q", key, val.id)
	case topics.PartitionFor(key, k.names().Table.Partitions) != e.pos.Partition:
		e.err = fmt.Errorf("the snapshot is on partition %d, its key's partition is %d (murmur2): goka never reads it", e.pos.Partition, topics.PartitionFor(key, k.names().Table.Partitions))
	}
	e.val = val
}
