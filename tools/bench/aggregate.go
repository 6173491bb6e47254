package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/mallbots/mallbots/topics"
)

// aggregateStage loads the Customer aggregate's command topic and counts
// completions as results appended (one per command).
func (e *env) aggregateStage(ctx context.Context, name string, d time.Duration, limit int64, next feed) (stageResult, error) {
	res, acked, err := e.feedStage(ctx, name, topics.Customers.Commands.Name, topics.Results.Name, d, limit, next)
	e.sent += acked
	return res, err
}

// runCommands runs st with the commands next draws, produced to the
// Customer aggregate's command topic; every command the broker
// acknowledged counts in e.sent, which the zero-loss checks hold the log,
// the results and ClickHouse to.
func (e *env) runCommands(ctx context.Context, st stage, next feed) (stageResult, error) {
	res, acked, err := e.produceStage(ctx, st, topics.Customers.Commands.Name, next)
	e.sent += acked
	return res, err
}

// register starts the instance running the Customer aggregate alone and
// registers Keys customers through it.
func (e *env) register(ctx context.Context) error {
	s, took, err := e.instance(ctx, "aggregate", []string{"customers"})
	if err != nil {
		return err
	}
	e.agg = s
	e.keysInTable = e.cfg.Keys
	e.out.line("  the aggregate instance was ready in %s", took.Round(time.Millisecond))
	i := 0
	res, err := e.aggregateStage(ctx, "register", 24*time.Hour, int64(e.cfg.Keys), func() ([]byte, []byte) {
		k, v, _ := e.wl.Register(i)
		i++
		return k, v
	})
	if err != nil {
		return err
	}
	rate := float64(res.produced) / res.took.Seconds()
	e.report.add(Figure{Name: "aggregate.registrations", What: "RegisterCustomer commands → results, aggregates created per second",
		Value: rate, Unit: "cmd/s", Baseline: e.baseline2Rate, BaselineName: "baseline 2", Ratio: ratio(rate, e.baseline2Rate),
		Note: fmt.Sprintf("%d customers in %s", res.produced, res.took.Round(time.Millisecond))})
	return nil
}

// aggregateThroughput loads the Customer aggregate alone (no ClickHouse)
// with ChangeSmsNumber commands spread over the registered customers.
func (e *env) aggregateThroughput(ctx context.Context) error {
	heap := e.sampleHeap(ctx, "aggregate")
	cpu := cpuNow()
	res, err := e.aggregateStage(ctx, "aggregate", e.cfg.StageDuration, 0, e.wl.changeRecord)
	self, ch := perCommand(cpu, cpuNow(), res.produced)
	peaks := heap()
	if err != nil {
		return err
	}
	e.aggregateRate = res.rate
	e.aggregateHeap = peaks.live
	e.aggregateCPU = self + ch
	if e.aggregateSnapshot, err = e.kafka.meanValueSize(ctx, topics.Customers.Table.Name, 500); err != nil {
		return fmt.Errorf("the aggregate's snapshot size: %w", err)
	}
	e.report.add(Figure{Name: "aggregate.cpu_per_command", What: "CPU time per command while the aggregate ran alone: this process (the aggregate, the embedded broker, the load generator) and ClickHouse, µs",
		Value: self + ch, Unit: "µs", Note: fmt.Sprintf("process %.1f µs, ClickHouse %.1f µs; snapshots of %s bytes at the end (mean of the last 500)", self, ch, thousands(float64(e.aggregateSnapshot)))})
	r := ratio(res.rate, e.baseline2Rate)
	e.report.add(Figure{Name: "aggregate.throughput", What: "aggregate processor alone: commands → results, commands/s",
		Value: res.rate, Unit: "cmd/s", Baseline: e.baseline2Rate, BaselineName: "baseline 2", Ratio: r,
		Target: "≥ 0.8 × baseline 2", Met: ptr(r >= 0.8), Note: fmt.Sprintf("%d commands", res.produced)})
	e.aggregateVsStockGoka(res.rate, res.produced)
	e.report.add(Figure{Name: "aggregate.heap.live", What: "the benchmark process's peak live Go heap while the aggregate stage ran (the aggregate instance, the embedded broker, the feeder), MiB",
		Value: peaks.live, Unit: "MiB", Note: fmt.Sprintf("resident set peak %.0f MiB", peaks.rss)})
	return nil
}
