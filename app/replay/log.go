package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas/serde"
)

// Log reads the event log and the state tables of one cluster. It is safe
// for concurrent use; each read opens its own consumer.
type Log struct {
	opts []kgo.Opt
	sd   *serde.Serde
	cl   *kgo.Client
	adm  *kadm.Client
}

// New connects a Log. opts are the client options every connection uses
// (kgo.SeedBrokers at least; no consumer options: each read assigns its own
// partitions). Close it when done.
func New(sd *serde.Serde, opts ...kgo.Opt) (*Log, error) {
	if sd == nil {
		return nil, errors.New("replay.New needs the serde to decode records")
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return &Log{opts: opts, sd: sd, cl: cl, adm: kadm.NewClient(cl)}, nil
}

// Close closes the admin connection.
func (l *Log) Close() { l.cl.Close() }

// span is the part of a partition one read covers: offsets [from, to).
type span struct{ from, to int64 }

// spans returns, for the given partitions of topic (all when none is
// given), the offsets from each one's log start to its end now: a read
// covers what was there when it began.
func (l *Log) spans(ctx context.Context, topic string, partitions ...int32) (map[int32]span, error) {
	starts, err := l.adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("find where %s starts: %w", topic, err)
	}
	ends, err := l.adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("find where %s ends: %w", topic, err)
	}
	out := map[int32]span{}
	for p, start := range starts[topic] {
		if len(partitions) > 0 && !contains(partitions, p) {
			continue
		}
		end, _ := ends.Lookup(topic, p)
		out[p] = span{from: start.Offset, to: end.Offset}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("topic %s has no partition %v: run `mallbots topics check`", topic, partitions)
	}
	return out, nil
}

func contains(ps []int32, p int32) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// total is the number of offsets the spans cover.
func total(spans map[int32]span) int64 {
	var n int64
	for _, s := range spans {
		n += s.to - s.from
	}
	return n
}

// read calls fn for every record of the spans, in offset order within each
// partition (partitions interleave), and moves m (nil for none) along. It
// returns fn's first error.
func (l *Log) read(ctx context.Context, topic string, spans map[int32]span, m *meter, fn func(*kgo.Record) error) error {
	next := map[int32]int64{}
	for p, s := range spans {
		next[p] = s.from
	}
	want := map[int32]kgo.Offset{}
	for p, s := range spans {
		if s.to > s.from {
			want[p] = kgo.NewOffset().At(s.from)
		}
	}
	if len(want) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), l.opts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for len(want) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			e := errs[0]
			return fmt.Errorf("read %s/%d: %w", e.Topic, e.Partition, e.Err)
		}
		var ferr error
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			end := spans[fp.Partition].to
			for _, rec := range fp.Records {
				if ferr != nil || rec.Offset >= end {
					break
				}
				ferr = fn(rec)
				if m != nil {
					m.add(rec.Offset + 1 - next[fp.Partition])
				}
				next[fp.Partition] = rec.Offset + 1
			}
			if n := len(fp.Records); n > 0 && fp.Records[n-1].Offset >= end-1 {
				delete(want, fp.Partition)
				cl.PauseFetchPartitions(map[string][]int32{topic: {fp.Partition}})
			}
		})
		if ferr != nil {
			return ferr
		}
	}
	return nil
}
