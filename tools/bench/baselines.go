package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/gokart"
	"github.com/mallbots/mallbots/topics"
)

// The baselines run on the same broker as the pipeline, on topics of the
// same partition count, fed the same records (the Customer commands of the
// workload, same keys and sizes).

func (e *env) benchTopic(name string) string { return fmt.Sprintf("bench.%08x.%s", e.wl.run, name) }

// throughputStage runs a sustained stage that feeds topic the
// ChangeSmsNumber records of the workload and counts completions as the
// records appended to done.
func (e *env) throughputStage(ctx context.Context, name, topic, done string, d time.Duration) (stageResult, error) {
	res, _, err := e.feedStage(ctx, name, topic, done, d, 0, e.wl.changeRecord)
	return res, err
}

// baseline1 is a raw franz-go consume→produce loop: a consumer group
// member that produces every record it reads to another topic (franz-go's
// defaults: acks from all in-sync replicas, idempotent, 10 ms linger).
func (e *env) baseline1(ctx context.Context) error {
	in, out := e.benchTopic("raw.in"), e.benchTopic("raw.out")
	for _, t := range []string{in, out} {
		if err := e.kafka.createTopic(ctx, t, topics.AggregatePartitions, false); err != nil {
			return err
		}
	}
	assigned := make(chan struct{})
	var once sync.Once
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.brokers...), kgo.ConsumerGroup(e.benchTopic("raw")),
		kgo.ConsumeTopics(in), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { once.Do(func() { close(assigned) }) }))
	if err != nil {
		return err
	}
	loopCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for loopCtx.Err() == nil {
			fs := cl.PollRecords(loopCtx, 10_000)
			fs.EachRecord(func(r *kgo.Record) {
				cl.Produce(loopCtx, &kgo.Record{Topic: out, Key: r.Key, Value: r.Value}, nil)
			})
		}
	})
	defer func() { stop(); wg.Wait(); cl.Close() }()
	select {
	case <-assigned:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the consume→produce loop got no partitions in 30s")
	}
	res, err := e.throughputStage(ctx, "baseline 1", in, out, e.cfg.StageDuration)
	if err != nil {
		return err
	}
	e.report.add(Figure{Name: "baseline1.throughput", What: "raw franz-go consume→produce loop, records/s",
		Value: res.rate, Unit: "rec/s", Note: fmt.Sprintf("%d records", res.produced)})
	e.baseline1Rate = res.rate
	return nil
}

// counter defines the counting group that baseline 2 and the stock goka
// stage both run, on its own input topic and table: one input, one table
// holding a counter per key. Defining it once keeps the two stages'
// records and work the same, so only the runtime under them differs.
func (e *env) counter(ctx context.Context, name string) (goka.Group, string, *goka.GroupGraph, error) {
	group := goka.Group(e.benchTopic(name))
	in := e.benchTopic(name + ".in")
	if err := e.kafka.createTopic(ctx, in, topics.AggregatePartitions, false); err != nil {
		return "", "", nil, err
	}
	if err := e.kafka.createTopic(ctx, string(goka.GroupTable(group)), topics.AggregatePartitions, true); err != nil {
		return "", "", nil, err
	}
	gg := goka.DefineGroup(group,
		goka.Input(goka.Stream(in), new(codec.Bytes), func(ctx goka.Context, _ any) {
			var n int64
			if v, ok := ctx.Value().(int64); ok {
				n = v
			}
			ctx.SetValue(n + 1)
		}),
		goka.Persist(new(codec.Int64)),
	)
	return group, in, gg, nil
}

// baseline2 is a minimal goka processor: one input, one table holding a
// counter per key, with the processors' sarama configuration (gokart).
func (e *env) baseline2(ctx context.Context) error {
	group, in, gg, err := e.counter(ctx, "counter")
	if err != nil {
		return err
	}
	stop, err := e.runProcessor(ctx, "baseline2", group, gg)
	if err != nil {
		return err
	}
	defer stop()
	res, err := e.throughputStage(ctx, "baseline 2", in, string(goka.GroupTable(group)), e.cfg.StageDuration)
	if err != nil {
		return err
	}
	e.report.add(Figure{Name: "baseline2.throughput", What: "goka processor with one counter table, records/s",
		Value: res.rate, Unit: "rec/s", Baseline: e.baseline1Rate, BaselineName: "baseline 1", Ratio: ratio(res.rate, e.baseline1Rate),
		Note: fmt.Sprintf("%d records", res.produced)})
	e.baseline2Rate = res.rate
	return nil
}

// runProcessor runs a bench processor of group with the processors' goka
// configuration, its stores under name, until the returned stop is called;
// it returns once the processor has recovered its table.
func (e *env) runProcessor(ctx context.Context, name string, group goka.Group, gg *goka.GroupGraph) (stop func(), err error) {
	gc := gokart.New(filepath.Join(e.dir, name), gokart.WithLogger(e.cfg.Log))
	return e.runGoka(ctx, name, gg, gc.ProcessorOptions(group)...)
}

// runGoka runs a bench processor with the given options until the returned
// stop is called; it returns once the processor has recovered its table.
func (e *env) runGoka(ctx context.Context, name string, gg *goka.GroupGraph, opts ...goka.ProcessorOption) (stop func(), err error) {
	p, err := goka.NewProcessor(e.kafka.brokers, gg, opts...)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- p.Run(runCtx) }()
	stop = func() { cancel(); <-errc }
	for !p.Recovered() {
		select {
		case err := <-errc:
			errc <- err
			stop()
			return nil, fmt.Errorf("the %s processor stopped: %w", name, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return stop, nil
}

// baseline4 replays a table topic from its start to its end offsets into
// a map with a raw franz-go consumer, and returns the distinct keys and how
// long it took.
func (e *env) baseline4(ctx context.Context, topic string) (int, time.Duration, error) {
	t0 := time.Now()
	m := map[string][]byte{}
	err := e.kafka.readToEnd(ctx, topic, func(int64) kgo.Offset { return kgo.NewOffset().AtStart() }, func(r *kgo.Record) {
		if r.Value == nil {
			delete(m, string(r.Key))
		} else {
			m[string(r.Key)] = r.Value
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return len(m), time.Since(t0), nil
}

func ratio(v, base float64) float64 {
	if base == 0 {
		return 0
	}
	return v / base
}
