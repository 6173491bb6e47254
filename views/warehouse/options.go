package warehouse

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/trace"
)

// Option configures a Projector.
type Option func(*config)

type config struct {
	maxBatchRows    int
	flushInterval   time.Duration
	log             *slog.Logger
	backoffMin      time.Duration
	backoffMax      time.Duration
	onMapError      func(*kgo.Record, error)
	lagRefresh      time.Duration
	shutdownTimeout time.Duration
	tracer          trace.Tracer // nil: no tracing (WithTracer)
}

func defaultConfig() config {
	return config{
		maxBatchRows:    10_000,
		flushInterval:   250 * time.Millisecond,
		log:             slog.Default(),
		backoffMin:      100 * time.Millisecond,
		backoffMax:      10 * time.Second,
		lagRefresh:      time.Second,
		shutdownTimeout: 10 * time.Second,
	}
}

func (c config) validate() error {
	var errs []error
	if c.maxBatchRows < 1 {
		errs = append(errs, fmt.Errorf("WithMaxBatchRows(%d): want at least 1", c.maxBatchRows))
	}
	if c.flushInterval <= 0 {
		errs = append(errs, fmt.Errorf("WithFlushInterval(%s): want a positive duration", c.flushInterval))
	}
	if c.backoffMin <= 0 || c.backoffMax < c.backoffMin {
		errs = append(errs, fmt.Errorf("WithBackoff(%s, %s): want 0 < min <= max", c.backoffMin, c.backoffMax))
	}
	if c.lagRefresh <= 0 {
		errs = append(errs, fmt.Errorf("WithLagRefresh(%s): want a positive duration", c.lagRefresh))
	}
	if c.shutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("WithShutdownTimeout(%s): want a positive duration", c.shutdownTimeout))
	}
	if c.log == nil {
		errs = append(errs, errors.New("WithLogger(nil): give a logger"))
	}
	return errors.Join(errs...)
}

// WithMaxBatchRows bounds a batch by rows (over all its tables): a batch is
// flushed once it holds n rows. Polls are sized by the rows per record seen
// in the previous batch, so a batch can overshoot n when records suddenly
// yield more rows. Default 10,000. Larger batches insert
// faster (ClickHouse favours few big inserts) at the cost of memory and of
// latency under load.
func WithMaxBatchRows(n int) Option { return func(c *config) { c.maxBatchRows = n } }

// WithFlushInterval bounds a batch by time: a batch is flushed d after its
// oldest record was written (by the record's timestamp), or d after its
// first record arrived if that comes sooner. Default 250ms. This is the
// projection's added latency when traffic is light: a record waits at most
// d, then its batch's insert and commit.
func WithFlushInterval(d time.Duration) Option { return func(c *config) { c.flushInterval = d } }

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithBackoff sets the wait between attempts to insert a batch that
// ClickHouse refused: min after the first failure, doubling up to max.
// Default 100ms to 10s. The batch is kept and retried until it lands or the
// projector stops; it is never skipped.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax = min, max }
}

// WithOnMapError is called for a record that Map failed on, or whose rows do
// not fit their table, or that the Guard refused when the projection has no
// DeadLetter topic; the record is then skipped (its offset is still
// committed), so a poison event cannot stop the projection. Default: log
// the record's topic, partition, offset and the error at error level.
// Route records to a dead-letter topic here if they must not be lost.
func WithOnMapError(fn func(*kgo.Record, error)) Option {
	return func(c *config) { c.onMapError = fn }
}

// WithLagRefresh sets how often Lag and Ready are recomputed from the
// group's committed offsets and the topics' end offsets. Default 1s.
func WithLagRefresh(d time.Duration) Option { return func(c *config) { c.lagRefresh = d } }

// WithShutdownTimeout bounds the final flush and commit that Run attempts
// after its context is done. Default 10s. A batch that cannot land in that
// time is dropped uncommitted and redelivered at the next start.
func WithShutdownTimeout(d time.Duration) Option { return func(c *config) { c.shutdownTimeout = d } }
