package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/trace"
)

// batch is the records fetched since the last commit, with their rows.
type batch struct {
	entries []entry
	rows    int
	started time.Time // when the first entry arrived
	oldest  int64     // smallest record timestamp, unix ns; 0 when empty
}

type entry struct {
	rec  *kgo.Record
	rows []Row      // nil once skipped
	span trace.Span // the record's projection span (trace.go); nil when untraced
	// refused is why the Guard refused the record ("" if it did not), and
	// deadLettered whether its dead letter was produced (refuse.go).
	refused      string
	deadLettered bool
}

func (b *batch) len() int { return len(b.entries) }

// due is when the batch must be flushed: interval after its oldest record
// was written, by the record's timestamp, so that a record's lag is bounded
// by the interval and not by the interval plus however long it waited to be
// fetched (the insert and commit of the batch before it, for one). A record
// stamped in the future by a skewed clock cannot delay the flush beyond
// interval after the batch's first record arrived.
func (b *batch) due(interval time.Duration) time.Time {
	from := b.started
	if oldest := time.Unix(0, b.oldest); b.oldest != 0 && oldest.Before(from) {
		from = oldest
	}
	return from.Add(interval)
}

// has reports whether any entry has a row for table.
func (b *batch) has(table string) bool {
	for _, e := range b.entries {
		for _, r := range e.rows {
			if r.Table == table {
				return true
			}
		}
	}
	return false
}

func (b *batch) reset() {
	clear(b.entries) // let the records go
	b.entries, b.rows, b.oldest = b.entries[:0], 0, 0
}

// lastPerPartition returns each partition's last record: what to commit.
func (b *batch) lastPerPartition() []*kgo.Record {
	type tp struct {
		topic     string
		partition int32
	}
	last := map[tp]*kgo.Record{}
	var order []tp
	for _, e := range b.entries {
		k := tp{e.rec.Topic, e.rec.Partition}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = e.rec
	}
	out := make([]*kgo.Record, 0, len(order))
	for _, k := range order {
		out = append(out, last[k])
	}
	return out
}

// add maps rec and queues it; a record that cannot be mapped is queued
// without rows, so that its offset is still committed.
func (p *Projector) add(b *batch, rec *kgo.Record) {
	if b.len() == 0 {
		b.started = time.Now()
	}
	rows, err := p.mapRecord(rec)
	if err != nil {
		p.skip(rec, err)
		rows = nil
	}
	b.entries = append(b.entries, entry{rec: rec, rows: rows, span: p.traceRecord(rec)})
	b.rows += len(rows)
	if ns := rec.Timestamp.UnixNano(); b.oldest == 0 || ns < b.oldest {
		b.oldest = ns
	}
}

// mapRecord calls Map and checks its rows against the declared tables. A
// panicking Map is one more poison record, not a reason to stop.
func (p *Projector) mapRecord(rec *kgo.Record) (rows []Row, err error) {
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("map panicked: %v", r)
		}
	}()
	rows, err = p.proj.Map(rec)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		t, ok := p.tables[r.Table]
		if !ok {
			return nil, fmt.Errorf("map produced a row for table %q, which the projection does not declare", r.Table)
		}
		if len(r.Values) != len(t.Columns) {
			return nil, fmt.Errorf("map produced %d values for table %q, which has %d columns", len(r.Values), r.Table, len(t.Columns))
		}
	}
	return rows, nil
}

func (p *Projector) skip(rec *kgo.Record, err error) {
	p.stats.skipped.Add(1)
	p.cfg.onMapError(rec, err)
}

// flush inserts the batch, retrying with backoff until ClickHouse accepts it
// or ctx ends (then it returns ctx's error and the batch stays, uncommitted),
// and commits it.
func (p *Projector) flush(ctx context.Context, cl *kgo.Client, b *batch) error {
	wait := p.cfg.backoffMin
	for attempt := 1; ; attempt++ {
		err := p.insertAll(ctx, cl, b)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errDeadLetter) {
			p.log.Warn("Kafka refused the dead letters of the batch's refused records; keeping the batch and retrying",
				"attempt", attempt, "retry_in", wait, "records", b.len(), "positions", b.positions(), "err", err)
		} else {
			p.stats.insertFailures.Add(1)
			p.log.Warn("ClickHouse refused the batch; keeping it and retrying",
				"attempt", attempt, "retry_in", wait, "records", b.len(), "rows", b.rows, "positions", b.positions(), "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, p.cfg.backoffMax)
	}
	p.commit(ctx, cl, b)
	return nil
}

// insertAll drops the rows the Guard refuses and dead-letters their
// records (refuse.go), then sends each table's rows with one batch insert.
// A row the driver cannot encode is its record's fault, not the server's:
// that record is skipped and the inserts are rebuilt without it, at once.
// Every row is encoded before any insert is sent, so a skipped record
// leaves no row in any table. Tables already sent before a later one fails
// are sent again on retry; their keys make the repeat harmless.
func (p *Projector) insertAll(ctx context.Context, cl *kgo.Client, b *batch) error {
	if err := p.guard(ctx, b); err != nil {
		return err
	}
	if err := p.deadLetter(ctx, cl, b); err != nil {
		return err
	}
	for {
		bad, err := p.tryInsert(ctx, b)
		if bad < 0 {
			return err
		}
		e := &b.entries[bad]
		p.skip(e.rec, err)
		b.rows -= len(e.rows)
		e.rows = nil
	}
}

// tryInsert returns (index of a bad entry, its error) or (-1, server error
// or nil).
func (p *Projector) tryInsert(ctx context.Context, b *batch) (int, error) {
	type filled struct {
		table string
		ins   driver.Batch
	}
	var pending []filled // in table order
	abortFrom := func(i int) {
		for _, f := range pending[i:] {
			_ = f.ins.Abort()
		}
	}
	for _, t := range p.proj.Tables {
		ins, bad, err := p.fill(ctx, t, b)
		if err != nil {
			abortFrom(0)
			return bad, err
		}
		if ins != nil {
			pending = append(pending, filled{t.Name, ins})
		}
	}
	for i, f := range pending {
		if err := f.ins.Send(); err != nil {
			abortFrom(i + 1)
			return -1, fmt.Errorf("insert into %s: %w", f.table, err)
		}
	}
	return -1, nil
}

// fill prepares t's insert and appends the batch's rows for t; it returns
// a nil insert when t has no rows, and the entry index of a row that does
// not fit (-1 for a server error).
func (p *Projector) fill(ctx context.Context, t Table, b *batch) (driver.Batch, int, error) {
	if !b.has(t.Name) {
		return nil, -1, nil
	}
	ins, err := p.ch.PrepareBatch(ctx, p.insert[t.Name])
	if err != nil {
		return nil, -1, fmt.Errorf("prepare insert into %s: %w", t.Name, err)
	}
	for i, e := range b.entries {
		for _, r := range e.rows {
			if r.Table != t.Name {
				continue
			}
			// Append only encodes into memory; its errors are about the
			// values, never about the server.
			if err := ins.Append(r.Values...); err != nil {
				_ = ins.Abort()
				return nil, i, fmt.Errorf("row for table %s does not fit its columns: %w", t.Name, err)
			}
		}
	}
	return ins, -1, nil
}

// commit commits the batch's offsets and resets it. It runs after the rows
// landed, so it uses its own deadline even when ctx has just ended; a
// failed commit only means redelivery, which the table keys absorb.
func (p *Projector) commit(ctx context.Context, cl *kgo.Client, b *batch) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.shutdownTimeout)
	defer cancel()
	if err := cl.CommitRecords(cctx, b.lastPerPartition()...); err != nil {
		p.stats.commitFailures.Add(1)
		p.log.Warn("commit failed after the rows landed; the records will be redelivered and collapse",
			"records", b.len(), "positions", b.positions(), "err", err)
	}
	b.endSpans(nil)
	if b.len() > 0 {
		p.rowsPerRecord = (b.rows + b.len() - 1) / b.len()
	}
	p.stats.records.Add(int64(b.len()))
	p.stats.rows.Add(int64(b.rows))
	p.stats.flushes.Add(1)
	b.reset()
	p.oldest.Store(0)
}
