package bench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/gokart"
)

// kafka is the bench's own access to the broker: admin requests and a
// producer. Its producer is franz-go with the defaults every client here
// shares (acks from all in-sync replicas, idempotent, murmur2 keys: the
// partitions the processors expect) and a linger chosen per use.
type kafka struct {
	brokers []string
	cl      *kgo.Client
	adm     *kadm.Client
}

func newKafka(brokers []string) (*kafka, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, err
	}
	return &kafka{brokers: brokers, cl: cl, adm: kadm.NewClient(cl)}, nil
}

func (k *kafka) close() { k.cl.Close() }

// createTopic creates a bench topic with the aggregates' partition count;
// compact makes it a compacted one (a goka table).
func (k *kafka) createTopic(ctx context.Context, name string, partitions int32, compact bool) error {
	cfg := map[string]*string{}
	if compact {
		c := "compact"
		cfg["cleanup.policy"] = &c
	}
	resp, err := k.adm.CreateTopic(ctx, partitions, -1, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", name, err)
	}
	return nil
}

// endSum returns the sum of the end offsets of topics' partitions.
func (k *kafka) endSum(ctx context.Context, topics ...string) (int64, error) {
	ends, err := k.adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, err
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n, nil
}

// ends returns the end offset of every partition of topic.
func (k *kafka) ends(ctx context.Context, topic string) (map[int32]int64, error) {
	ends, err := k.adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out, nil
}

// producer produces records asynchronously and counts failures: a record
// the broker did not take is lost, which fails the run.
type producer struct {
	cl     *kgo.Client
	failed atomic.Int64
	acked  atomic.Int64
	first  atomic.Value // error
}

// newProducer's client waits at most gokart.MetadataMinAge between two
// metadata loads, as the processors' producers do, instead of franz-go's
// 5 s: each stage starts a producer of its own, and the records it
// produces while it learns its topic's partitions could otherwise wait
// 5 s for a second load, a pause of the load generator's, not of the
// system under test.
func newProducer(brokers []string, linger time.Duration) (*producer, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(linger),
		kgo.MaxBufferedRecords(100_000), kgo.ProducerBatchMaxBytes(1<<20), kgo.MetadataMinAge(gokart.MetadataMinAge))
	if err != nil {
		return nil, err
	}
	return &producer{cl: cl}, nil
}

func (p *producer) produce(ctx context.Context, topic string, key, value []byte) {
	p.cl.Produce(ctx, &kgo.Record{Topic: topic, Key: key, Value: value}, p.done)
}

func (p *producer) done(_ *kgo.Record, err error) {
	if err != nil {
		if p.failed.Add(1) == 1 {
			p.first.Store(err)
		}
		return
	}
	p.acked.Add(1)
}

// flush waits for every record to be acknowledged and returns the first
// failure.
func (p *producer) flush(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return err
	}
	if n := p.failed.Load(); n > 0 {
		return fmt.Errorf("%d records were not produced: %v", n, p.first.Load())
	}
	return nil
}

func (p *producer) close() { p.cl.Close() }

// readToEnd reads every partition of topic that holds records, from the
// offset from gives for its end offset up to that end offset as listed
// when it is called, and calls fn with each record.
func (k *kafka) readToEnd(ctx context.Context, topic string, from func(end int64) kgo.Offset, fn func(*kgo.Record)) error {
	ends, err := k.ends(ctx, topic)
	if err != nil {
		return err
	}
	start := map[int32]kgo.Offset{}
	for p, end := range ends {
		if end > 0 {
			start[p] = from(end)
		}
	}
	if len(start) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}))
	if err != nil {
		return err
	}
	defer cl.Close()
	for remaining := len(start); remaining > 0; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := fs.Err(); err != nil {
			return fmt.Errorf("read %s: %w", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			fn(r)
			if r.Offset == ends[r.Partition]-1 {
				remaining--
			}
		})
	}
	return nil
}

// meanValueSize reads up to the last n records of each partition of topic
// and returns their mean value size in bytes (0 for an empty topic).
func (k *kafka) meanValueSize(ctx context.Context, topic string, n int64) (int, error) {
	var records, bytes int64
	err := k.readToEnd(ctx, topic, func(end int64) kgo.Offset { return kgo.NewOffset().At(max(0, end-n)) }, func(r *kgo.Record) {
		records++
		bytes += int64(len(r.Value))
	})
	if err != nil || records == 0 {
		return 0, err
	}
	return int(bytes / records), nil
}
