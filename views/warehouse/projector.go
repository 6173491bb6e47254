package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Projector consumes a Projection's topics and writes its rows to
// ClickHouse in batches. Make one with NewProjector and call Run once.
type Projector struct {
	proj   Projection
	ch     driver.Conn
	cfg    config
	log    *slog.Logger
	kafka  []kgo.Opt
	tables map[string]Table
	insert map[string]string // table name → INSERT statement

	// rowsPerRecord is the rounded-up rows per record of the last batch,
	// used to size polls so that batches end near WithMaxBatchRows. Only
	// Run's goroutine uses it.
	rowsPerRecord int

	running atomic.Bool
	ready   atomic.Bool
	lag     atomic.Int64 // records behind the end offsets, group-wide
	oldest  atomic.Int64 // timestamp (unix ns) of the oldest record not yet applied, 0 if none
	stats   counters
}

// NewProjector checks p and the options (reporting every problem at once)
// and returns a Projector. kafka holds the connection options (seed brokers,
// TLS, SASL, hooks); the projector adds its own consumer settings, which
// take precedence: the consumer group p.Group over p.Topics, auto-commit
// disabled (offsets are committed after ClickHouse accepted the batch),
// rebalances blocked while a batch is in flight (BlockRebalanceOnPoll, so a
// commit never lands on a partition this member lost), a new group starting
// at the oldest offset, and read-committed isolation (records of aborted
// transactions are never projected). ch is used by one goroutine at a time.
func NewProjector(kafka []kgo.Opt, ch driver.Conn, p Projection, opts ...Option) (*Projector, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	var errs []error
	if ch == nil {
		errs = append(errs, errors.New("ClickHouse connection is nil"))
	}
	errs = append(errs, p.validate(), cfg.validate())
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("warehouse: projection %q: %w", p.Name, err)
	}
	pr := &Projector{
		proj:   p,
		ch:     ch,
		cfg:    cfg,
		log:    cfg.log.With("projection", p.Name, "group", p.Group),
		tables: map[string]Table{},
		insert: map[string]string{},
	}
	if pr.cfg.onMapError == nil {
		pr.cfg.onMapError = pr.logMapError
	}
	for _, t := range p.Tables {
		pr.tables[t.Name] = t
		pr.insert[t.Name] = insertStatement(t)
	}
	pr.kafka = append(slices.Clone(kafka),
		kgo.ConsumerGroup(p.Group),
		kgo.ConsumeTopics(p.Topics...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// franz-go keeps one fetch in flight per broker, and the broker
		// holds it until data arrives or FetchMaxWait passes. A partition
		// whose start offset is resolved after that fetch left waits for
		// it: with franz-go's default, an idle topic kept the larger
		// projections from catching up, and a restart from being ready,
		// for that long (ADR 0016). The cost is an idle projection's few
		// empty fetches a second.
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if p.OnRebalance != nil {
		changed := func(context.Context, *kgo.Client, map[string][]int32) { p.OnRebalance() }
		pr.kafka = append(pr.kafka, kgo.OnPartitionsAssigned(changed), kgo.OnPartitionsRevoked(changed), kgo.OnPartitionsLost(changed))
	}
	return pr, nil
}

// Run consumes and projects until ctx is done. Then it gives the batch in
// flight one last chance to land (within WithShutdownTimeout), commits it if
// it did, leaves the group and returns nil; a batch that did not land stays
// uncommitted and is redelivered at the next start. While ClickHouse refuses
// a batch, Run retries it with backoff and consumes nothing further; a stall
// longer than the group's rebalance timeout (franz-go's default: 60s) makes
// the broker move this member's partitions to another member, and this
// member's commit then fails harmlessly (the rows landed; the records are
// redelivered and collapse). Run returns an error only when it cannot
// start; it may be called once.
func (p *Projector) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return fmt.Errorf("warehouse: projection %q: Run called twice; make a new Projector", p.proj.Name)
	}
	cl, err := kgo.NewClient(p.kafka...)
	if err != nil {
		return fmt.Errorf("warehouse: projection %q: create Kafka client: %w (check the Kafka options)", p.proj.Name, err)
	}
	var wg sync.WaitGroup
	monCtx, stopMonitor := context.WithCancel(ctx)
	wg.Go(func() { p.monitor(monCtx, kadm.NewClient(cl)) })

	p.log.Info("projection started", "topics", p.proj.Topics)
	b := p.consume(ctx, cl)
	p.finish(ctx, cl, b)

	stopMonitor()
	wg.Wait()
	// Close leaves the group, which waits for rebalances to be allowed.
	cl.AllowRebalance()
	cl.Close()
	p.log.Info("projection stopped", "records_applied", p.stats.records.Load())
	return nil
}

// consume is the main loop. It returns the batch in flight when ctx ends.
func (p *Projector) consume(ctx context.Context, cl *kgo.Client) *batch {
	b := &batch{}
	for {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if b.len() > 0 {
			// Wake up when the batch is due even if nothing more arrives.
			pollCtx, cancel = context.WithDeadline(ctx, b.due(p.cfg.flushInterval))
		}
		fetches := cl.PollRecords(pollCtx, p.pollLimit(b))
		cancel()
		if ctx.Err() != nil {
			return b
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				p.log.Warn("fetch failed; the client retries", "topic", topic, "partition", partition, "err", err)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) { p.add(b, r) })
		p.oldest.Store(b.oldest)
		if b.len() > 0 && (b.rows >= p.cfg.maxBatchRows || !time.Now().Before(b.due(p.cfg.flushInterval))) {
			if err := p.flush(ctx, cl, b); err != nil {
				return b
			}
		}
		if b.len() == 0 {
			cl.AllowRebalance()
		}
	}
}

// pollLimit is how many records fit in the batch's remaining room.
func (p *Projector) pollLimit(b *batch) int {
	return max(1, (p.cfg.maxBatchRows-b.rows)/max(1, p.rowsPerRecord))
}

// finish gives the batch in flight one attempt after ctx ended.
func (p *Projector) finish(ctx context.Context, cl *kgo.Client, b *batch) {
	if b.len() == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.shutdownTimeout)
	defer cancel()
	if err := p.insertAll(sctx, cl, b); err != nil {
		p.log.Warn("stopping with a batch ClickHouse did not accept; it stays uncommitted and is redelivered at the next start",
			"records", b.len(), "rows", b.rows, "positions", b.positions(), "err", err)
		b.endSpans(err)
		return
	}
	p.commit(sctx, cl, b)
}

// Ready reports whether the projection has applied (committed) every record
// that its topics held when Run started, counting the whole group's
// progress. It starts false, turns true once, and stays true: a projection
// that later falls behind shows it in Lag, not here.
func (p *Projector) Ready() bool { return p.ready.Load() }

// Lag returns how far the projection is behind: events is the number of
// records in its topics beyond the group's committed offsets (refreshed
// every WithLagRefresh; 0 before the first refresh), and seconds is the age
// of the oldest record this member has fetched but not yet applied (0 when
// it has nothing pending), by the record's timestamp.
func (p *Projector) Lag() (events int64, seconds float64) {
	if ns := p.oldest.Load(); ns != 0 {
		seconds = max(time.Since(time.Unix(0, ns)).Seconds(), 0)
	}
	return p.lag.Load(), seconds
}

func (p *Projector) logMapError(rec *kgo.Record, err error) {
	p.log.Error("skipping a record the projection cannot map; fix the mapper or route such records to a dead-letter topic with WithOnMapError",
		"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "aggregate_id", string(rec.Key), "err", err)
}
