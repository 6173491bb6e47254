package registry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Registry is an embedded, durable schema registry. Open one per process and
// topic; its methods are safe for concurrent use.
type Registry struct {
	cfg     config
	log     *slog.Logger
	client  *kgo.Client // produces records; its admin view checks and measures the topic
	adm     *kadm.Client
	fake    *srfake.Registry
	handler http.Handler

	// writing holds a token while a write is under way: deciding the id and
	// version, persisting the record and applying it happen under it, so two
	// registrations can never be given the same id or version. It is a
	// channel rather than a Mutex so that a waiting request can give up, and
	// so that a write the broker is slow to answer can hand its token to the
	// goroutine that settles it (see persist).
	writing chan struct{}
	next    int64 // offset of the first record not yet applied; guarded by writing
	stale   bool  // a write ended without proof of what the log holds; guarded by writing

	// catMu guards cat. Only the holder of the writing token changes cat,
	// under catMu; it may read cat without catMu, readers without the token
	// take catMu.RLock.
	catMu sync.RWMutex
	cat   *catalog

	srvMu     sync.Mutex
	srv       *http.Server
	closeOnce sync.Once
}

// Open connects to the broker, checks the topic, reads it from the start to
// its high watermark and seeds every schema version into the registry under
// its stored subject, version and id. ctx bounds this start-up only; give it
// a deadline, as reading waits for the broker for as long as ctx allows. Open
// fails if the topic is missing, has more than one partition, is not
// compacted, or holds versions that contradict each other.
//
// kafka are the options that reach the broker (kgo.SeedBrokers at least,
// plus TLS or SASL if the broker needs them). The registry adds its own
// producer and consumer settings after these, so options that decide acks,
// idempotence, partitioning or what to consume are overridden.
//
// topic holds one record per schema version, normally "_schemas". It must
// exist already, with one partition and cleanup.policy=compact (a delete
// policy would let retention forget schemas that events still carry the
// ids of).
func Open(ctx context.Context, kafka []kgo.Opt, topic string, opts ...Option) (*Registry, error) {
	cfg, err := newConfig(kafka, topic, opts)
	if err != nil {
		return nil, err
	}
	// acks=all and the idempotent producer are kgo's defaults; they are set
	// again here because the durability promise rests on them.
	clientOpts := append(slices.Clone(cfg.kafka),
		kgo.DefaultProduceTopic(cfg.topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	client, err := kgo.NewClient(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("registry: create Kafka client: %w", err)
	}
	r := &Registry{
		cfg:     cfg,
		log:     cfg.log.With("component", "registry", "topic", cfg.topic),
		client:  client,
		adm:     kadm.NewClient(client),
		fake:    srfake.NewRegistry(srfake.WithGlobalCompat(sr.CompatBackwardTransitive)),
		cat:     newCatalog(),
		writing: make(chan struct{}, 1),
	}
	if err := r.checkTopic(ctx); err != nil {
		client.Close()
		return nil, err
	}
	r.writing <- struct{}{}
	err = r.catchUp(ctx)
	<-r.writing
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("registry: load schemas: %w", err)
	}
	r.handler = r.recoverPanics(r.routes())
	r.log.Info("schema registry loaded", "subjects", len(r.cat.subjects), "next_id", r.cat.nextID, "next_offset", r.next)
	return r, nil
}

// Handler returns the Confluent-compatible REST API. See the package comment
// for what it refuses.
func (r *Registry) Handler() http.Handler { return r.handler }

// Close stops the server started by Listen, letting running requests finish
// for up to WithWriteTimeout, then closes the Kafka client, which fails any
// record the broker has not acknowledged yet, and waits (for up to
// WithWriteTimeout again) until no write is under way. It is safe to call
// more than once.
func (r *Registry) Close() {
	r.closeOnce.Do(func() {
		r.srvMu.Lock()
		srv := r.srv
		r.srvMu.Unlock()
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.writeTimeout)
			if err := srv.Shutdown(ctx); err != nil {
				r.log.Warn("schema registry server did not stop in time; closing its connections", "err", err)
				_ = srv.Close() // the connections are dropped either way
			}
			cancel()
		}
		r.client.Close()
		select {
		case r.writing <- struct{}{}: // held for good: no write may start after Close
		case <-time.After(r.cfg.writeTimeout):
			r.log.Warn("schema registry closed while a write was still being settled")
		}
	})
}

// register registers schema s under subject and returns its id: the existing
// id when the subject already has that schema, else a new version's id after
// its record is acknowledged by the broker. It answers within about twice
// WithWriteTimeout: once to wait for earlier writes, once for its own.
// register registers s under subject, or answers the id it has there
// already; a new schema is written only when mayWrite (errUnauthorized
// otherwise).
func (r *Registry) register(ctx context.Context, subject string, s sr.Schema, mayWrite bool) (int, error) {
	if err := validateSubject(subject); err != nil {
		return 0, errInvalidSchema(err)
	}
	key, err := contentKey(s)
	if err != nil {
		return 0, errInvalidSchema(err)
	}
	// A schema the subject has already needs no write, so it is answered
	// without waiting for one; services re-register their schemas at every
	// start, and a slow broker should not hold them up.
	r.catMu.RLock()
	known := r.cat.lookup(subject, key)
	r.catMu.RUnlock()
	if known != nil {
		return known.id, nil
	}
	if !mayWrite {
		return 0, errUnauthorized
	}
	wait, cancel := context.WithTimeout(ctx, r.cfg.writeTimeout)
	defer cancel()
	select {
	case r.writing <- struct{}{}:
	case <-wait.Done():
		return 0, errStore(fmt.Errorf("wait for earlier registrations to be acknowledged: %w", wait.Err()))
	}
	handedOver := false
	defer func() {
		if !handedOver {
			<-r.writing
		}
	}()
	if r.stale {
		if err := r.catchUp(wait); err != nil {
			return 0, errStore(fmt.Errorf("re-read topic %q after an unconfirmed write: %w", r.cfg.topic, err))
		}
		r.stale = false
	}
	if e := r.cat.lookup(subject, key); e != nil {
		return e.id, nil
	}
	parsed, err := r.cat.parse(s)
	if err != nil {
		return 0, errInvalidSchema(err)
	}
	if msgs := incompatibilities(parsed, r.cat.subjects[subject]); len(msgs) > 0 {
		return 0, errIncompatible(subject, msgs)
	}
	v := r.cat.assign(subject, key, s)
	handedOver, err = r.persist(ctx, v)
	if err != nil {
		return 0, errStore(err)
	}
	r.log.Info("schema registered", "subject", v.subject, "version", v.version, "id", v.id)
	return v.id, nil
}

// compatibility checks s against version ver of subject ("" for every
// version, "latest" or "-1" for the last) and returns the reasons it is
// incompatible, none when it is compatible.
func (r *Registry) compatibility(subject, ver string, s sr.Schema) ([]string, error) {
	// What registration would refuse as not JSON is refused here too, though
	// the Avro parser would take the text for a type name.
	if _, err := contentKey(s); err != nil {
		return nil, errInvalidSchema(err)
	}
	r.catMu.RLock()
	defer r.catMu.RUnlock()
	earlier := r.cat.subjects[subject]
	if ver != "" {
		e, err := r.pick(subject, ver)
		if err != nil {
			return nil, err
		}
		earlier = []*entry{e}
	}
	parsed, err := r.cat.parse(s)
	if err != nil {
		return nil, errInvalidSchema(err)
	}
	return incompatibilities(parsed, earlier), nil
}

// pick resolves a version path segment of subject. The caller holds catMu.
func (r *Registry) pick(subject, ver string) (*entry, error) {
	vs := r.cat.subjects[subject]
	if len(vs) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	if ver == "latest" || ver == "-1" {
		return vs[len(vs)-1], nil
	}
	n, err := strconv.Atoi(ver)
	if err != nil || n < 1 {
		return nil, errInvalidVersion(ver)
	}
	e := r.cat.find(subject, n)
	if e == nil {
		return nil, errVersionNotFound(subject, n)
	}
	return e, nil
}
