package bench

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// projectorFlush is the projector's flush interval the system runs with
// (system.Config.FlushInterval's default), the first term of the lag target.
const projectorFlush = 250 * time.Millisecond

// pipeline loads the whole path: commands → the Customer aggregate →
// events and snapshots → the projector → rows in ClickHouse. A command is
// complete when its event's row is visible in mallbots.events. Meanwhile
// it samples the events projection's lag (the age of the oldest event
// ClickHouse does not have yet, as GET /api/projections reports it) and
// times a batch insert of the projector's size into a copy of the events
// table, the second term of the lag target.
func (e *env) pipeline(ctx context.Context) error {
	if e.agg != nil { // the recovery phase was skipped
		if err := shutdown(e.agg); err != nil {
			return err
		}
		e.agg = nil
	}
	before, err := e.eventRows(ctx)
	if err != nil {
		return err
	}
	s, took, err := e.instance(ctx, "aggregate", e.cfg.Components)
	if err != nil {
		return err
	}
	e.agg = s
	after, err := e.eventRows(ctx)
	if err != nil {
		return err
	}
	e.out.line("  pipeline instance ready in %s (projected the %s events already logged)", took.Round(time.Millisecond), thousands(float64(after-before)))

	st := e.stageOf("pipeline", e.cfg.Duration)
	st.poll = 200 * time.Millisecond
	st.complete = e.eventRows
	st.completes = "commands visible in ClickHouse"

	sampleCtx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var lags []float64
	wg.Go(func() { lags = e.sampleLag(sampleCtx, time.Now().Add(st.warmup)) })
	heap := e.sampleHeap(ctx, "pipeline")
	cpu := cpuNow()
	res, err := e.runCommands(ctx, st, e.wl.changeRecord)
	self, ch := perCommand(cpu, cpuNow(), res.produced)
	peaks := heap()
	stopSampling()
	wg.Wait()
	if err != nil {
		return err
	}
	hr := ratio(peaks.live, e.aggregateHeap)
	e.report.add(Figure{Name: "pipeline.heap.live", What: "the benchmark process's peak live Go heap while the pipeline ran (its instance, the embedded broker, the feeder), MiB",
		Value: peaks.live, Unit: "MiB", Baseline: e.aggregateHeap, BaselineName: "aggregate alone", Ratio: hr,
		Target: "≤ 2 × the aggregate alone's", Met: ptr(hr > 0 && hr <= 2), Note: fmt.Sprintf("resident set peak %.0f MiB", peaks.rss)})
	r := ratio(res.rate, e.baseline2Rate)
	e.report.add(Figure{Name: "pipeline.throughput", What: "commands → aggregate → events → rows visible in ClickHouse, commands/s",
		Value: res.rate, Unit: "cmd/s", Baseline: e.baseline2Rate, BaselineName: "baseline 2", Ratio: r,
		Target: "≥ 0.5 × baseline 2 for 5 min", Met: ptr(r >= 0.5),
		Note: fmt.Sprintf("%d commands over %s (components %s)%s", res.produced, e.cfg.Duration, strings.Join(e.cfg.Components, ","),
			map[bool]string{true: "", false: "; sustained for less than the target's 5 min (--duration 5m)"}[e.cfg.Duration >= 5*time.Minute])})
	e.pipelineAgainstAggregate(ctx, res.rate, self, ch)
	e.lagFigure("projection.lag.p99.saturated", "events projection lag p99 at the pipeline's saturation (the closed-loop load keeps a backlog in front of the slowest step)", lags, nil, nil, "")
	return e.pacedLag(ctx, res.rate/2, min(e.cfg.Duration, time.Minute))
}

// pipelineAgainstAggregate reports the pipeline against the aggregate
// alone: their rates, and their CPU per command, which on a machine that
// both saturate is what the ratio of rates comes to. The snapshots' sizes
// say whether both ran on snapshots alike: they grow with the commands a
// customer has had (its window of recent commands).
func (e *env) pipelineAgainstAggregate(ctx context.Context, rate, self, ch float64) {
	size, err := e.kafka.meanValueSize(ctx, topics.Customers.Table.Name, 500)
	if err != nil {
		e.report.Warnings = append(e.report.Warnings, "the pipeline's snapshot size: "+err.Error())
	}
	sizes := fmt.Sprintf("snapshots of %s bytes at the end of the pipeline, %s at the end of the aggregate stage (means of the last 500)",
		thousands(float64(size)), thousands(float64(e.aggregateSnapshot)))
	r := ratio(rate, e.aggregateRate)
	e.report.add(Figure{Name: "pipeline.throughput.aggregate", What: "the pipeline's commands/s against the aggregate alone's",
		Value: rate, Unit: "cmd/s", Baseline: e.aggregateRate, BaselineName: "aggregate alone", Ratio: r,
		Target: "≥ 0.8 × the aggregate alone (issue 27)", Met: ptr(r >= 0.8), Note: sizes})
	e.report.add(Figure{Name: "pipeline.cpu_per_command", What: "CPU time per command while the pipeline ran: this process (the aggregate, both projections, the embedded broker, the load generator) and ClickHouse, µs",
		Value: self + ch, Unit: "µs", Baseline: e.aggregateCPU, BaselineName: "aggregate alone", Ratio: ratio(self+ch, e.aggregateCPU),
		Note: fmt.Sprintf("process %.1f µs, ClickHouse %.1f µs; a pipeline at 0.8 × the aggregate on a machine both saturate needs at most 1.25 × its CPU per command", self, ch)})
}

// pacedLag holds the pipeline at rate (half what it sustained) for d and
// samples the events projection's lag: the lag of a pipeline that keeps up.
// At saturation (the stage before) the lag is mostly the queue that the
// closed-loop load keeps in front of the slowest step, which no projector
// setting changes. Every command sent must reach ClickHouse.
func (e *env) pacedLag(ctx context.Context, rate float64, d time.Duration) error {
	if rate < 1 {
		// Not a failure of the system: every command still has to reach
		// ClickHouse (the drain and the zero-loss checks), but a window too
		// short for the pipeline to settle gives no rate to pace at.
		e.out.line("  projection lag at half the pipeline's rate: not measured, the pipeline completed %.1f commands/s after its warm-up in --duration %s; give it longer (30s or more)",
			rate*2, e.cfg.Duration)
		return nil
	}
	warmup := min(d/5, 5*time.Second)
	// A lag sample over the bound can be the broker's pause rather than
	// the projector's: the note says whether the broker paused.
	watch, err := watchBroker(ctx, e.kafka.brokers)
	if err != nil {
		return err
	}
	defer watch.close()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var lags []float64
	var inserts []time.Duration
	var probeErr error
	steadyFrom := time.Now().Add(warmup)
	wg.Go(func() { lags = e.sampleLag(sampleCtx, steadyFrom) })
	wg.Go(func() { inserts, probeErr = e.probeInserts(sampleCtx, steadyFrom, d-warmup) })

	e.out.line("  projection lag at %s commands/s (half the pipeline's rate) for %s", thousands(rate), d)
	st := e.stageOf("paced", d)
	st.rate, st.warmup, st.poll = rate, warmup, 200*time.Millisecond
	st.complete = e.eventRows
	st.completes = "commands visible in ClickHouse"
	_, err = e.runCommands(ctx, st, e.wl.changeRecord)
	stopSampling()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("paced lag: %w", err)
	}
	e.lagFigure("projection.lag.p99", fmt.Sprintf("events projection lag p99 at %s commands/s, half the pipeline's rate (age of the oldest event not yet committed to ClickHouse)", thousands(rate)),
		lags, inserts, probeErr, watch.pausesNote(steadyFrom, time.Now()))
	return nil
}

// eventRows counts the rows of mallbots.events; a duplicate counts twice
// until merged, which checkLoss catches. ClickHouse 18.16 reads a column
// for count() (15 ms at 1.5 million rows, against 4 ms for the active
// parts' row counts in system.parts), but polling the parts instead did
// not change the pipeline's rate (60 s runs, two each: 11,072 and 9,114
// against 10,851 and 10,123 commands/s), so the plain count stays.
func (e *env) eventRows(ctx context.Context) (int64, error) {
	var n uint64
	if err := e.ch.QueryRow(ctx, "SELECT count() FROM mallbots.events").Scan(&n); err != nil {
		return 0, fmt.Errorf("count mallbots.events: %w", err)
	}
	return int64(n), nil
}

// sampleLag asks Kafka every half second how old the oldest customer event
// the events projection has not committed is, from steadyFrom on.
func (e *env) sampleLag(ctx context.Context, steadyFrom time.Time) []float64 {
	var out []float64
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
		if time.Now().Before(steadyFrom) {
			continue
		}
		lags, err := warehouse.MeasureLag(ctx, []kgo.Opt{kgo.SeedBrokers(e.kafka.brokers...)}, topics.ProjectorEvents,
			[]string{topics.Customers.Events.Name}, 2*time.Second)
		if err != nil {
			continue
		}
		worst := 0.0
		for _, l := range lags {
			worst = max(worst, l.Seconds)
		}
		out = append(out, worst*1000)
	}
}

// probeInserts times three batch inserts of the projector's batch size into
// a copy of mallbots.events, spread over the steady part of the load.
func (e *env) probeInserts(ctx context.Context, from time.Time, span time.Duration) ([]time.Duration, error) {
	const probe = "mallbots.bench_insert_probe"
	if err := e.ch.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+probe+" AS mallbots.events"); err != nil {
		return nil, err
	}
	defer func() { _ = e.ch.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+probe) }()
	var out []time.Duration
	for i := 1; i <= 3; i++ {
		at := from.Add(span * time.Duration(i) / 4)
		select {
		case <-ctx.Done():
			return out, nil
		case <-time.After(time.Until(at)):
		}
		rows, err := e.batchRows(ctx)
		if ctx.Err() != nil {
			return out, nil // the load ended first
		}
		if err != nil {
			return out, err
		}
		t0 := time.Now()
		if err := e.insertRows(ctx, probe, rows); err != nil {
			if ctx.Err() != nil {
				return out, nil // the load ended during the insert: cut, not failed
			}
			return out, err
		}
		out = append(out, time.Since(t0))
		e.lagRows = len(rows)
	}
	return out, nil
}

// batchRows reads as many recent event rows as the projector puts in one
// batch at the current rate: what arrives in one flush interval, at most
// the projector's 10,000 rows.
func (e *env) batchRows(ctx context.Context) ([][]any, error) {
	n0, err := e.eventRows(ctx)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	n1, err := e.eventRows(ctx)
	if err != nil {
		return nil, err
	}
	size := min(max(int((n1-n0)*int64(projectorFlush)/int64(time.Second)), 1), 10_000)
	cols := "`" + strings.Join(warehouse.EventsTable.Columns, "`, `") + "`"
	rs, err := e.ch.Query(ctx, fmt.Sprintf("SELECT %s FROM mallbots.events LIMIT %d", cols, size))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	// Scan by the columns' own types, so the probe follows the table as
	// migrations add columns (it once broke silently when four were added).
	types := rs.ColumnTypes()
	var out [][]any
	for rs.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = reflect.ValueOf(d).Elem().Interface()
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

func (e *env) insertRows(ctx context.Context, table string, rows [][]any) error {
	b, err := e.ch.PrepareBatch(ctx, "INSERT INTO "+table+" (`"+strings.Join(warehouse.EventsTable.Columns, "`, `")+"`)")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			_ = b.Abort()
			return err
		}
	}
	return b.Send()
}

// lagFigure adds the p99 of lags (ms); with insert times, against the
// target (the flush interval plus two inserts).
func (e *env) lagFigure(name, what string, lags []float64, inserts []time.Duration, probeErr error, note string) {
	if probeErr != nil {
		e.report.Warnings = append(e.report.Warnings, "insert probe: "+probeErr.Error())
	}
	if len(lags) == 0 {
		e.report.Warnings = append(e.report.Warnings, "no sample of "+name+": the load ran shorter than its warm-up")
		return
	}
	slices.Sort(lags)
	p99 := lags[max(int(float64(len(lags))*0.99+0.999999)-1, 0)]
	p50 := lags[len(lags)/2]
	f := Figure{Name: name, What: what, Value: p99, Unit: "ms",
		Note: fmt.Sprintf("%d samples, p50 %.0f ms, max %.0f ms", len(lags), p50, lags[len(lags)-1])}
	if len(inserts) > 0 {
		slices.Sort(inserts)
		insert := ms(inserts[len(inserts)/2])
		base := ms(projectorFlush) + 2*insert
		f.Baseline, f.BaselineName, f.Ratio = base, "flush + 2 × insert", ratio(p99, base)
		f.Target, f.Met = "≤ flush interval + 2 × one batch insert", ptr(p99 <= base)
		f.Note = fmt.Sprintf("%d samples, p50 %.0f ms, max %.0f ms; one insert of %d rows took %.1f ms (median of %d, under load); flush interval %s",
			len(lags), p50, lags[len(lags)-1], e.lagRows, insert, len(inserts), projectorFlush)
	}
	f.Note += note
	e.report.add(f)
}
