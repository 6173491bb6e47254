package bench

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
)

// stockGoka is baseline 2's counter on goka as it comes: goka's sarama
// producer (acks from the leader, snappy) with its flush frequency
// lowered from goka's 100 ms to 1 ms, goka's sarama consumers and its
// LevelDB storage with LevelDB's default options, goka's hasher. Baseline 2
// runs the same counter on the processors' runtime (platform/gokart),
// which is about twice as fast, so an aggregate's ratio to baseline 2 says
// more about that runtime than about the aggregate; issue 27 sets the
// aggregate's target against this stock counter instead. Same topic
// layout, records and broker as baseline 2.
//
// One setting is not goka's: a new group starts at the oldest offset, not
// the newest, so that records produced before the group's first
// assignment are counted rather than skipped (the stage waits for every
// record it produced).
func (e *env) stockGoka(ctx context.Context) error {
	group, in, gg, err := e.counter(ctx, "stockgoka")
	if err != nil {
		return err
	}
	tmc := goka.NewTopicManagerConfig()
	tmc.Table.Replication, tmc.Stream.Replication = 1, 1 // one broker
	stop, err := e.runGoka(ctx, "stockgoka", gg,
		goka.WithStorageBuilder(storage.DefaultBuilder(filepath.Join(e.dir, "stockgoka"))),
		goka.WithProducerBuilder(goka.ProducerBuilderWithConfig(stockSaramaConfig())),
		goka.WithConsumerGroupBuilder(goka.ConsumerGroupBuilderWithConfig(stockSaramaConfig())),
		goka.WithConsumerSaramaBuilder(goka.SaramaConsumerBuilderWithConfig(stockSaramaConfig())),
		goka.WithTopicManagerBuilder(goka.TopicManagerBuilderWithConfig(stockSaramaConfig(), tmc)),
		goka.WithLogger(gokaLog{e.cfg.Log.With("component", "goka processor stockgoka")}),
	)
	if err != nil {
		return err
	}
	defer stop()
	res, err := e.throughputStage(ctx, "stock goka", in, string(goka.GroupTable(group)), e.cfg.StageDuration)
	if err != nil {
		return err
	}
	e.report.add(Figure{Name: "baseline.goka.throughput",
		What:  "stock goka counter (goka's LevelDB storage, its sarama producer with a 1 ms flush), records/s",
		Value: res.rate, Unit: "rec/s", Baseline: e.baseline2Rate, BaselineName: "baseline 2", Ratio: ratio(res.rate, e.baseline2Rate),
		Note: fmt.Sprintf("%d records", res.produced)})
	e.stockGokaRate = res.rate
	return nil
}

// stockSaramaConfig is goka's default config with a 1 ms flush and a new
// group starting at the oldest offset; one per client, as goka's builders
// keep and change the config they are given.
func stockSaramaConfig() *sarama.Config {
	cfg := goka.DefaultConfig()
	cfg.Producer.Flush.Frequency = time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	return cfg
}

// aggregateVsStockGoka is the aggregate's ratio to the stock goka counter,
// issue 27's target; nothing when the stock counter did not run.
func (e *env) aggregateVsStockGoka(aggregateRate float64, commands int64) {
	if e.stockGokaRate == 0 {
		return
	}
	r := ratio(aggregateRate, e.stockGokaRate)
	e.report.add(Figure{Name: "aggregate.throughput.goka", What: "aggregate processor alone against the stock goka counter, commands/s",
		Value: aggregateRate, Unit: "cmd/s", Baseline: e.stockGokaRate, BaselineName: "stock goka", Ratio: r,
		Target: "≥ 1.0 × a stock goka counter", Met: ptr(r >= 1), Note: fmt.Sprintf("%d commands", commands)})
}

// gokaLog writes goka's lines to the run's log at debug level.
type gokaLog struct{ l *slog.Logger }

func (g gokaLog) Print(v ...any)                 { g.l.Debug(fmt.Sprint(v...)) }
func (g gokaLog) Println(v ...any)               { g.l.Debug(fmt.Sprint(v...)) }
func (g gokaLog) Printf(format string, v ...any) { g.l.Debug(fmt.Sprintf(format, v...)) }
