package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// checkTopic makes sure the topic can keep schemas forever: it exists, has
// the one partition replay reads, and is compacted rather than expired.
func (r *Registry) checkTopic(ctx context.Context) error {
	topic := r.cfg.topic
	details, err := r.adm.ListTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("registry: describe topic %q: %w", topic, err)
	}
	d, ok := details[topic]
	if !ok {
		d.Err = errors.New("not in the metadata")
	}
	if d.Err != nil {
		return fmt.Errorf("registry: topic %q is missing (create it with one partition and cleanup.policy=compact before opening the registry): %w", topic, d.Err)
	}
	if n := len(d.Partitions); n != 1 {
		return fmt.Errorf("registry: topic %q has %d partitions; it needs exactly 1 so that records keep their order", topic, n)
	}
	configs, err := r.adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return fmt.Errorf("registry: describe configs of topic %q: %w", topic, err)
	}
	rc, err := configs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return fmt.Errorf("registry: describe configs of topic %q: %w", topic, err)
	}
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil && slices.Contains(strings.Split(*c.Value, ","), "compact") {
			return nil
		}
	}
	return fmt.Errorf("registry: topic %q is not compacted: set cleanup.policy=compact, or retention will delete schemas that stored events refer to", topic)
}

// catchUp applies every record from r.next up to the topic's high watermark.
// The caller holds the writing token. It reads with a client of its own, made
// for the occasion: it runs at Open and after an unconfirmed write only, and a
// long-lived consumer would buffer the registry's own records for nothing.
//
// It stops at the record just below the high watermark. That record is always
// there: compaction keeps the last record of every key and never touches the
// active segment, and the registry writes no transactions whose markers could
// sit at the end.
func (r *Registry) catchUp(ctx context.Context) error {
	topic := r.cfg.topic
	ends, err := r.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("list end offset of %q: %w", topic, err)
	}
	end, ok := ends.Lookup(topic, 0)
	if !ok {
		end.Err = errors.New("partition 0 not in the answer")
	}
	if end.Err != nil {
		return fmt.Errorf("list end offset of %q: %w", topic, end.Err)
	}
	if r.next >= end.Offset {
		return nil
	}
	consumer, err := kgo.NewClient(append(slices.Clone(r.cfg.kafka),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(r.next)}}),
	)...)
	if err != nil {
		return fmt.Errorf("create consumer of %q: %w", topic, err)
	}
	defer consumer.Close()
	for r.next < end.Offset {
		fetches := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read %q up to offset %d, reached %d: %w", topic, end.Offset, r.next, err)
		}
		var errs []error
		fetches.EachError(func(t string, p int32, err error) {
			errs = append(errs, fmt.Errorf("fetch %s/%d from offset %d: %w", t, p, r.next, err))
		})
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		for _, rec := range fetches.Records() {
			if rec.Offset < r.next {
				continue
			}
			if err := r.applyRecord(rec); err != nil {
				return err
			}
			r.next = rec.Offset + 1
		}
	}
	return nil
}

// applyRecord applies one record read from the topic.
func (r *Registry) applyRecord(rec *kgo.Record) error {
	v, ok, err := decodeRecord(rec)
	if err != nil {
		return err
	}
	if !ok {
		r.log.Debug("skipping a record that is not a schema version", "offset", rec.Offset, "key", string(rec.Key))
		return nil
	}
	if err := r.apply(v); err != nil {
		return fmt.Errorf("record %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	}
	return nil
}

// persist writes v's record, waits for the broker's acknowledgement, and only
// then applies v to the catalog and srfake. The caller holds the writing
// token.
//
// Persisting first is the sound order: srfake has no way to take a version
// back, so registering in memory first would leave a schema served (and its id
// reserved) that the topic does not have when the produce fails. The id and
// version are decided beforehand by the catalog, which knows what srfake
// would assign, and apply checks that srfake agreed.
//
// An idempotent producer cannot take back a record once it has sent it, and
// retries it for as long as the broker answers with retriable errors, whatever
// the context says. So when the broker has not answered within
// WithWriteTimeout (or the client has gone), persist returns an error with
// handedOver true and passes the writing token to a goroutine that settles the
// record when the broker does answer. No other write can start before then,
// so none can be given the same id or version as a record still in flight.
func (r *Registry) persist(ctx context.Context, v version) (handedOver bool, err error) {
	rec, err := encodeRecord(r.cfg.topic, v)
	if err != nil {
		return false, err
	}
	answered := make(chan error, 1)
	r.client.Produce(context.Background(), rec, func(_ *kgo.Record, err error) { answered <- err })
	timer := time.NewTimer(r.cfg.writeTimeout)
	defer timer.Stop()
	select {
	case err := <-answered:
		return false, r.settle(v, rec, err)
	case <-timer.C:
	case <-ctx.Done():
	}
	go func() {
		defer func() { <-r.writing }()
		if err := r.settle(v, rec, <-answered); err != nil {
			r.log.Error("unconfirmed schema registration failed", "err", err)
			return
		}
		r.log.Info("schema registered after its request gave up waiting", "subject", v.subject, "version", v.version, "id", v.id)
	}()
	return true, fmt.Errorf("the broker has not acknowledged %s within %s: it may still be registered; retry to learn its id", v, r.cfg.writeTimeout)
}

// settle applies the outcome of producing v's record. The caller holds the
// writing token.
func (r *Registry) settle(v version, rec *kgo.Record, produceErr error) error {
	if produceErr != nil {
		// A failed produce (a timeout above all) does not say whether the
		// record reached the log. Rather than guess, the next write re-reads
		// the topic first; a record that did land is then served, so a
		// client that retries gets the id it was about to be given.
		r.stale = true
		return fmt.Errorf("persist %s to topic %q: %w", v, r.cfg.topic, produceErr)
	}
	if rec.Offset != r.next {
		// Records this registry has not applied sit before its own: ones
		// whose produce was reported failed but landed, or another writer's.
		// Read them all, this record included, in log order.
		r.stale = true
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.writeTimeout)
		defer cancel()
		if err := r.catchUp(ctx); err != nil {
			return fmt.Errorf("persisted %s at offset %d but cannot read the records before it: %w", v, rec.Offset, err)
		}
		r.stale = false
		if e := r.cat.find(v.subject, v.version); e == nil || e.id != v.id {
			return fmt.Errorf("persisted %s at offset %d, but the topic assigns that version differently: more than one registry writes to %q", v, rec.Offset, r.cfg.topic)
		}
		return nil
	}
	if err := r.apply(v); err != nil {
		// The record is in the log but not served: re-reading will meet the
		// same contradiction and report it rather than hand out ids blindly.
		r.stale = true
		return fmt.Errorf("persisted %s but cannot serve it: %w", v, err)
	}
	r.next = rec.Offset + 1
	return nil
}

// apply adds a persisted version to the catalog and to srfake. Applying a
// version already there is a no-op; a version that contradicts the catalog
// is an error and changes nothing.
func (r *Registry) apply(v version) error {
	e, duplicate, err := r.cat.prepare(v)
	if err != nil || duplicate {
		return err
	}
	if _, shared := r.cat.byID[v.id]; shared {
		// The schema already has this id under another subject. SeedSchema
		// refuses an id it has seen, but RegisterSchema reuses the id of an
		// identical schema and gives the subject its next version, which
		// prepare checked is v's version.
		id, n, err := r.fake.RegisterSchema(v.subject, v.schema)
		if err != nil {
			return fmt.Errorf("add %s to the served registry: %w", v, err)
		}
		if id != v.id || n != v.version {
			return fmt.Errorf("the served registry filed %s as version %d with id %d", v, n, id)
		}
	} else if err := seed(r, v); err != nil {
		return err
	}
	r.catMu.Lock()
	r.cat.insert(e)
	r.catMu.Unlock()
	return nil
}

// seed calls SeedSchema, which reports problems by panicking; prepare rules
// them out, so a panic here is turned into an error naming the version.
func seed(r *Registry, v version) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("add %s to the served registry: %v", v, p)
		}
	}()
	r.fake.SeedSchema(v.subject, v.version, v.id, v.schema)
	return nil
}
