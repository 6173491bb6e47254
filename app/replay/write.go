package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// writeRebuild writes the rebuilt snapshots to a fresh rebuild topic, then
// reads it back and reads the live table: the two tables to compare.
func (l *Log) writeRebuild(ctx context.Context, k kind, snaps map[string]any, progress io.Writer) (rebuilt, live *table, err error) {
	a := k.names()
	topic := topics.RebuildTopic(a)
	if err := l.recreate(ctx, topic); err != nil {
		return nil, nil, err
	}
	recs := make([]*kgo.Record, 0, len(snaps))
	for _, id := range sortedKeys(snaps) {
		// Encoded for the live table: the same bytes can be copied onto it.
		b, err := l.sd.Encode(a.Table.Name, snaps[id])
		if err != nil {
			return nil, nil, fmt.Errorf("encode the rebuilt %s %s: %w", a.Type, id, err)
		}
		recs = append(recs, l.record(topic, id, b))
	}
	if err := l.produce(ctx, "write "+topic.Name, recs, progress); err != nil {
		return nil, nil, err
	}
	if rebuilt, err = l.readTable(ctx, k, topic.Name, progress); err != nil {
		return nil, nil, err
	}
	if len(rebuilt.entries) != len(snaps) {
		return nil, nil, fmt.Errorf("%s holds %d snapshots after writing %d: was it written to by someone else?", topic.Name, len(rebuilt.entries), len(snaps))
	}
	for id, e := range rebuilt.entries {
		if e.err != nil {
			return nil, nil, fmt.Errorf("the rebuilt %s %s does not read back: %w", a.Type, id, e.err)
		}
	}
	live, err = l.readTable(ctx, k, a.Table.Name, progress)
	return rebuilt, live, err
}

// swap writes, onto the live table, the rebuilt snapshot of every
// aggregate that differs and a tombstone for every one the log does not
// know, then reads the live table again to prove it equals the rebuild.
func (l *Log) swap(ctx context.Context, k kind, rebuilt *table, r *RebuildReport) error {
	a := k.names()
	var recs []*kgo.Record
	for _, d := range r.Differences {
		if e, ok := rebuilt.entries[d.ID]; ok {
			recs = append(recs, l.record(a.Table, d.ID, e.raw))
			r.Written++
			continue
		}
		recs = append(recs, l.record(a.Table, d.ID, nil))
		r.Removed++
	}
	if err := l.produce(ctx, "swap into "+a.Table.Name, recs, nil); err != nil {
		return fmt.Errorf("swap into %s (partly written; run the rebuild again): %w", a.Table.Name, err)
	}
	live, err := l.readTable(ctx, k, a.Table.Name, nil)
	if err != nil {
		return err
	}
	if _, still := compare(k, values(rebuilt), live, nil); len(still) > 0 {
		return fmt.Errorf("after the swap %s still differs from the rebuild in %s (first: %s): was the group running?", a.Table.Name, Count(len(still), "aggregate", "aggregates"), still[0])
	}
	r.Swapped = true
	return nil
}

// record is a keyed record on the partition its key hashes to (murmur2).
func (l *Log) record(t topics.Topic, key string, value []byte) *kgo.Record {
	return &kgo.Record{Topic: t.Name, Key: []byte(key), Value: value, Partition: topics.PartitionFor(key, t.Partitions)}
}

// produce writes records (acks from all in-sync replicas, idempotent) and
// returns the first failure.
func (l *Log) produce(ctx context.Context, label string, recs []*kgo.Record, progress io.Writer) error {
	if len(recs) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), l.opts...), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	m := startMeter(progress, label, int64(len(recs)))
	errs := make(chan error, 1)
	for _, rec := range recs {
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			m.add(1)
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	flushErr := cl.Flush(ctx)
	m.finish()
	select {
	case err := <-errs:
		return fmt.Errorf("%s: %w", label, err)
	default:
		return flushErr
	}
}

// recreate deletes a topic if it exists and creates it afresh as the
// catalogue entry says. A broker may still be deleting the old one, so
// creation is retried for a while.
func (l *Log) recreate(ctx context.Context, t topics.Topic) error {
	resps, err := l.adm.DeleteTopics(ctx, t.Name)
	if err == nil {
		err = resps.Error()
	}
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("delete the old %s: %w", t.Name, err)
	}
	cfg := map[string]*string{}
	for k, v := range admin.Configs(t) {
		cfg[k] = &v
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := l.adm.CreateTopic(ctx, t.Partitions, -1, cfg, t.Name)
		if err == nil {
			err = resp.Err
		}
		if err == nil || !errors.Is(err, kerr.TopicAlreadyExists) || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("create %s: %w", t.Name, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
