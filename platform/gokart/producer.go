package gokart

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
)

// producer is goka's Producer on a franz-go client.
//
// goka's own producer is sarama's async producer, which was 16–20 % of the
// aggregate's CPU in profiles at 10,000 and 25,000 commands/s. A goka
// processor only needs Emit to return a promise that is finished once the
// record is acknowledged, which goka.NewPromiseWithFinisher provides for
// any client. The settings are those of the sarama producer it replaces:
// acks from all in-sync replicas, idempotent, no compression, a 1 ms
// linger. Being idempotent, franz-go keeps up to five produce requests in
// flight per broker, which Kafka (since 1.0) keeps in order and free of
// duplicates across retries by the producer's sequence numbers; sarama's
// idempotent producer allowed only one.
type producer struct {
	cl      *kgo.Client
	pending sync.WaitGroup
}

// closeTimeout bounds how long Close waits for the records in flight.
const closeTimeout = 30 * time.Second

// deliveryTimeout is how long a record may take to be acknowledged,
// retries included, before its promise fails (and with it the processor,
// as goka does on any emit error). sarama gave up after 10 retries.
const deliveryTimeout = 30 * time.Second

// MetadataMinAge is the least time a producer leaves between two loads of
// the cluster's metadata: franz-go's default is 5 s.
//
// Why: a processor's producer learns an output topic's partitions at its
// first emit to it, and records emitted meanwhile can wait for a second
// load, which the minimum age holds back (franz-go issue 114): every
// processor and emitter could stall for up to the minimum age at its first
// emits after a start (found as a stalled stage of `mallbots bench`;
// docs/benchmarks.md, issue 27, third stop). 250 ms is what librdkafka
// waits before it reloads after an error
// (topic.metadata.refresh.fast.interval.ms), the other case this bounds.
const MetadataMinAge = 250 * time.Millisecond

func (c Runtime) producerBuilder() goka.ProducerBuilder {
	// goka hands the processor's hasher (topics.Hasher) in; the records are
	// partitioned with the same murmur2 by partitionByKey.
	return func(brokers []string, clientID string, _ func() hash.Hash32) (goka.Producer, error) {
		opts := append(slices.Clone(c.cfg.kafka),
			kgo.SeedBrokers(brokers...),
			kgo.ClientID(clientID),
			kgo.RequiredAcks(kgo.AllISRAcks()),
			kgo.ProducerBatchCompression(kgo.NoCompression()),
			kgo.ProducerLinger(c.cfg.flushFrequency),
			kgo.RecordPartitioner(partitionByKey{}),
			kgo.RecordDeliveryTimeout(deliveryTimeout),
			kgo.MetadataMinAge(MetadataMinAge),
			// When the broker no longer knows the producer's sequence
			// (a broker restarted from its page cache, say), franz-go's
			// default is to take a new producer id and send the batch
			// again, which writes it twice if the broker had kept it. The
			// emit fails instead, so does the processor, as goka does on
			// any emit error; it restarts and reconciles the command with
			// the event log (ADR 0004), which finds what was written.
			kgo.StopProducerOnDataLossDetected(),
		)
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("goka producer %s: %w (check the Kafka options)", clientID, err)
		}
		return &producer{cl: cl}, nil
	}
}

func (p *producer) Emit(topic, key string, value []byte) *goka.Promise {
	return p.EmitWithHeaders(topic, key, value, nil)
}

func (p *producer) EmitWithHeaders(topic, key string, value []byte, headers goka.Headers) *goka.Promise {
	promise, finish := goka.NewPromiseWithFinisher()
	r := &kgo.Record{Topic: topic, Key: []byte(key), Value: value}
	if len(headers) > 0 {
		r.Headers = make([]kgo.RecordHeader, 0, len(headers))
		for k, v := range headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: v})
		}
	}
	p.pending.Add(1)
	p.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
		defer p.pending.Done()
		// goka reads only the partition and offset of what it is given.
		finish(&sarama.ProducerMessage{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}, err)
	})
	return promise
}

// Close waits for the records in flight (at most closeTimeout; the rest
// fail their promises) and closes the client.
func (p *producer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	err := p.cl.Flush(ctx)
	p.cl.Close() // fails whatever is still buffered, finishing its promises
	p.pending.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("goka producer: records still unacknowledged after %s were failed", closeTimeout)
	}
	return err
}

// partitionByKey places a record as Kafka's default partitioner does
// (topics.PartitionFor), as goka's hasher, the emitters and every other
// client of the mall do.
type partitionByKey struct{}

func (partitionByKey) ForTopic(string) kgo.TopicPartitioner { return partitionByKey{} }

func (partitionByKey) RequiresConsistency(*kgo.Record) bool { return true }

func (partitionByKey) Partition(r *kgo.Record, n int) int {
	return int(topics.PartitionFor(string(r.Key), int32(n)))
}
