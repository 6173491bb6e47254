package engine

import (
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Runtime is what every goka group of the processors shares: the
// contract's Serde, the clock, the log, the tracer and the metrics, and the
// middleware chain that each group's records run through (chain.go). The
// system builds one and hands it to every context's Groups; a test builds
// one fit for goka's tester (enginetest).
type Runtime struct {
	serde *serde.Serde
	log   *slog.Logger
	now   func() time.Time
	// partitions returns the partition count of a command topic, to detect
	// a command produced with another partitioner.
	partitions  func(topics.Topic) int32
	eventLog    LogReader
	lookupGrace time.Duration
	catchUp     CatchUpFunc
	tracer      trace.TracerProvider
	metrics     *metrics.Metrics
	chain       serde.Chain
	// chainOff is WithChainSwitchForMeasurement's switch; nil in
	// production.
	chainOff *atomic.Bool
}

// Option sets an optional part of a Runtime.
type Option func(*Runtime)

// New is a Runtime on sd, the contract's Serde, with the options applied.
// Without them: slog.Default, time.Now, the catalogue's partition counts,
// no reconciliation, no lookup grace, no catch-up, no spans, no metrics.
func New(sd *serde.Serde, opts ...Option) *Runtime {
	rt := &Runtime{
		serde:      sd,
		log:        slog.Default(),
		now:        time.Now,
		partitions: func(t topics.Topic) int32 { return t.Partitions },
	}
	for _, o := range opts {
		o(rt)
	}
	return rt
}

// WithLog sets the log every group writes to; default slog.Default.
func WithLog(log *slog.Logger) Option {
	return func(rt *Runtime) {
		if log != nil {
			rt.log = log
		}
	}
}

// WithClock sets the clock; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(rt *Runtime) {
		if now != nil {
			rt.now = now
		}
	}
}

// WithPartitions sets how many partitions a command topic has, which
// decides whether a command reached the partition that owns its aggregate;
// default the catalogue's count. goka's tester runs one partition, so its
// tests say 1.
func WithPartitions(partitions func(topics.Topic) int32) Option {
	return func(rt *Runtime) { rt.partitions = partitions }
}

// WithEventLog gives the aggregates the event log to reconcile redelivered
// commands against (reconcile.go); default none, which turns
// reconciliation off, for goka's tester.
func WithEventLog(log LogReader) Option { return func(rt *Runtime) { rt.eventLog = log } }

// WithLookupGrace sets how long a lookup that finds nothing is retried
// before the rules see "does not exist". A goka lookup table trails the
// API's views by milliseconds, so a client that registers a customer and
// at once starts a basket would otherwise be told the customer does not
// exist. Only misses wait. Default 0 (goka's tester: a miss is a miss);
// the system runs with DefaultLookupGrace. See docs/adr/0008.
func WithLookupGrace(d time.Duration) Option { return func(rt *Runtime) { rt.lookupGrace = d } }

// WithCatchUp sets what a lookup that misses waits for: until the group's
// copy of the table holds every record the table's partition of the key
// held at the call (gokart.Lookups), so that a miss is not just a copy
// behind the topic; at most LookupCatchUpLimit, then the grace goes on.
// Default none: the grace alone.
func WithCatchUp(f CatchUpFunc) Option { return func(rt *Runtime) { rt.catchUp = f } }

// WithTracer traces each record a group handles: a span per record,
// continuing the trace its headers carry, passed on to what it writes.
// Default none: no spans, the incoming trace context still passed on.
func WithTracer(tp trace.TracerProvider) Option { return func(rt *Runtime) { rt.tracer = tp } }

// WithMetrics counts what the groups handle, decide and dead-letter;
// default none.
func WithMetrics(m *metrics.Metrics) Option { return func(rt *Runtime) { rt.metrics = m } }

// WithChainKey keys the hash chain of every aggregate's events with an
// HMAC-SHA-256 secret, so that whoever can write an event topic but lacks
// the key cannot extend a chain that verify (given the same key) accepts;
// default none: plain SHA-256, which detects alteration and reordering but
// not a well-formed fabrication. See docs/adr/0021.
func WithChainKey(key []byte) Option { return func(rt *Runtime) { rt.chain = serde.NewChain(key) } }

// WithChainSwitchForMeasurement makes the aggregates write their events
// outside the hash chain while off holds true: prevHash, hash and the
// snapshot's lastHash empty, the records written before docs/adr/0021 but
// for those empty fields. It exists for one measurement:
// tools/bench flips it between the stages of one aggregate instance to
// measure what the chain costs, interleaved in the same run, on the same
// broker and state (docs/benchmarks.md, The hash chain's cost). No flag
// of cmd/mallbots sets it, and nothing else should: verify reports every
// event written so after a chained one as a forgery (`unchained`).
// Default none: every event is chained.
func WithChainSwitchForMeasurement(off *atomic.Bool) Option {
	return func(rt *Runtime) { rt.chainOff = off }
}

// unchained tells whether WithChainSwitchForMeasurement's switch is on.
func (rt *Runtime) unchained() bool { return rt.chainOff != nil && rt.chainOff.Load() }

// Serde is the contract's Serde.
func (rt *Runtime) Serde() *serde.Serde { return rt.serde }

// Log is the log every group writes to.
func (rt *Runtime) Log() *slog.Logger { return rt.log }

// Now is the runtime's clock.
func (rt *Runtime) Now() time.Time { return rt.now() }

// Metrics are the runtime's metrics (nil records nothing).
func (rt *Runtime) Metrics() *metrics.Metrics { return rt.metrics }

// CatchUp is what a lookup that misses waits for (nil: nothing).
func (rt *Runtime) CatchUp() CatchUpFunc { return rt.catchUp }
