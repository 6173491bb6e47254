// Package repartition copies topics from one Kafka cluster to another with
// a different partition count, each record into the partition its key
// belongs to there: the copy step of raising the partition count
// (docs/operations.md, ## Scaling). It reads each source partition in
// offset order and produces every record with its key, value, headers and
// timestamp through franz-go's default partitioner, which places a keyed
// record by murmur2 as Kafka does (topics.PartitionFor); all records of one
// key come from one source partition and reach one destination partition,
// in order.
package repartition

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Copy copies every record of the topics from the source cluster (src:
// kgo.SeedBrokers and security options) to the destination (dst), where
// each topic must already exist (with its new partition count) and be
// empty. It returns the records copied per topic. A record without a key is
// refused: its partition means nothing.
func Copy(ctx context.Context, src, dst []kgo.Opt, topicNames []string, progress io.Writer) (map[string]int64, error) {
	if progress == nil {
		progress = io.Discard
	}
	from, err := kgo.NewClient(src...)
	if err != nil {
		return nil, err
	}
	defer from.Close()
	to, err := kgo.NewClient(append(append([]kgo.Opt(nil), dst...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		return nil, err
	}
	defer to.Close()

	ends, err := kadm.NewClient(from).ListEndOffsets(ctx, topicNames...)
	if err != nil {
		return nil, fmt.Errorf("list the source's end offsets: %w", err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("list the source's end offsets: %w", err)
	}
	already, err := kadm.NewClient(to).ListEndOffsets(ctx, topicNames...)
	if err != nil {
		return nil, fmt.Errorf("list the destination's end offsets: %w", err)
	}
	if err := already.Error(); err != nil {
		return nil, fmt.Errorf("the destination topics must exist (mallbots topics apply): %w", err)
	}
	var errs []error
	already.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			errs = append(errs, fmt.Errorf("the destination %s/%d already holds %d records: copy into empty topics only", o.Topic, o.Partition, o.Offset))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	want := map[string]map[int32]kgo.Offset{}
	left := map[string]map[int32]int64{} // the end offset to reach
	n := 0
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset <= 0 {
			return
		}
		if want[o.Topic] == nil {
			want[o.Topic], left[o.Topic] = map[int32]kgo.Offset{}, map[int32]int64{}
		}
		want[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
		left[o.Topic][o.Partition] = o.Offset
		n++
	})
	copied := map[string]int64{}
	if n == 0 {
		return copied, nil
	}
	from.AddConsumePartitions(want)
	last := time.Now()
	for n > 0 {
		fetches := from.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return copied, err
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("read %s/%d: %w", t, p, err) })
		if ferr != nil {
			return copied, ferr
		}
		var batch []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := left[r.Topic][r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			batch = append(batch, &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: r.Timestamp})
			if r.Offset == end-1 {
				delete(left[r.Topic], r.Partition)
				n--
			}
		})
		for _, r := range batch {
			if r.Key == nil {
				return copied, fmt.Errorf("a record of %s has no key: it cannot be placed by key", r.Topic)
			}
		}
		if err := to.ProduceSync(ctx, batch...).FirstErr(); err != nil {
			return copied, fmt.Errorf("write to the destination: %w", err)
		}
		for _, r := range batch {
			copied[r.Topic]++
		}
		if time.Since(last) > time.Second {
			fmt.Fprintf(progress, "copied %d records, %d source partitions to go\n", total(copied), n)
			last = time.Now()
		}
	}
	return copied, nil
}

func total(m map[string]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}
