package bench

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/mallbots/mallbots/topics"
)

// floor measures what docs/architecture.md (What one command costs) asks of
// every command, with nothing of MallBots' own code: a goka processor on
// the same runtime as baseline 2 that, per record, reads its key's state,
// writes a state record the size of the Customer aggregate's snapshots, and
// emits an event and a result the size of the aggregate's. No decoding, no
// rules, no idempotency window to search: only the reads, writes and
// records the architecture requires. Its table is first given one state per
// customer, as the aggregate's holds one per registered customer, and then
// it is fed the aggregate stage's records (ChangeSmsNumber of random
// customers).
//
// Its ratio to baseline 2 is the most any aggregate built to the
// architecture could reach on this runtime; the aggregate's ratio to it is
// what MallBots' own code costs on top.
func (e *env) floor(ctx context.Context) error {
	sizes := map[string]int{}
	for _, t := range []string{topics.Customers.Table.Name, topics.Customers.Events.Name, topics.Results.Name} {
		n, err := e.kafka.meanValueSize(ctx, t, 500)
		if err != nil {
			return fmt.Errorf("the aggregate's record sizes: %w", err)
		}
		sizes[t] = max(n, 1)
	}
	state := bytes.Repeat([]byte{'s'}, sizes[topics.Customers.Table.Name])
	event := bytes.Repeat([]byte{'e'}, sizes[topics.Customers.Events.Name])
	result := bytes.Repeat([]byte{'r'}, sizes[topics.Results.Name])
	e.out.line("  the aggregate's records: state %d bytes, event %d, result %d (means of the last ones written)", len(state), len(event), len(result))

	group := goka.Group(e.benchTopic("floor"))
	in, events, results := e.benchTopic("floor.in"), e.benchTopic("floor.events"), e.benchTopic("floor.results")
	for _, t := range []string{in, events, results} {
		if err := e.kafka.createTopic(ctx, t, topics.AggregatePartitions, false); err != nil {
			return err
		}
	}
	if err := e.kafka.createTopic(ctx, string(goka.GroupTable(group)), topics.AggregatePartitions, true); err != nil {
		return err
	}
	gg := goka.DefineGroup(group,
		goka.Input(goka.Stream(in), new(codec.Bytes), func(ctx goka.Context, _ any) {
			_ = ctx.Value() // the state read every command starts with
			ctx.SetValue(state)
			ctx.Emit(goka.Stream(events), ctx.Key(), event)
			ctx.Emit(goka.Stream(results), ctx.Key(), result)
		}),
		goka.Persist(new(codec.Bytes)),
		goka.Output(goka.Stream(events), new(codec.Bytes)),
		goka.Output(goka.Stream(results), new(codec.Bytes)),
	)
	stop, err := e.runProcessor(ctx, "floor", group, gg)
	if err != nil {
		return err
	}
	defer stop()

	i := 0
	seed := func() (key, value []byte) {
		k, v, _ := e.wl.Register(i)
		i++
		return k, v
	}
	if _, _, err := e.feedStage(ctx, "floor seed", in, results, 24*time.Hour, int64(e.keysInTable), seed); err != nil {
		return err
	}
	res, err := e.throughputStage(ctx, "floor", in, results, e.cfg.StageDuration)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("%d records over %s states", res.produced, thousands(float64(e.keysInTable)))
	if e.aggregateRate > 0 {
		note += fmt.Sprintf("; the aggregate stage reached %.2f of this", e.aggregateRate/res.rate)
	}
	e.report.add(Figure{Name: "floor.throughput",
		What: fmt.Sprintf("the architecture's floor: a goka processor that reads a state, writes a %d-byte one and emits a %d-byte event and a %d-byte result per record, records/s",
			len(state), len(event), len(result)),
		Value: res.rate, Unit: "rec/s", Baseline: e.baseline2Rate, BaselineName: "baseline 2", Ratio: ratio(res.rate, e.baseline2Rate),
		Note: note})
	if e.aggregateRate > 0 {
		r := ratio(e.aggregateRate, res.rate)
		e.report.add(Figure{Name: "aggregate.throughput.floor", What: "the aggregate stage's commands/s against the floor's records/s: what MallBots' own code costs over the architecture's",
			Value: e.aggregateRate, Unit: "cmd/s", Baseline: res.rate, BaselineName: "floor", Ratio: r,
			Target: "≥ 0.9 × the floor (issue 27)", Met: ptr(r >= 0.9)})
	}
	return nil
}
