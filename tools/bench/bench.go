package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/schemas/serde"
)

// env is one run: the embedded stack and what the phases share.
type env struct {
	cfg    Config
	dir    string
	stack  *system.System
	kafka  *kafka
	ch     driver.Conn // the managed server's default (admin) user
	sd     *serde.Serde
	wl     *workload
	report *Report
	out    *progress

	// sent counts the customer commands the broker acknowledged, over every
	// phase: the zero-loss check expects each of them applied once.
	sent int64
	// agg is the instance running the Customer aggregate alone.
	agg *system.System
	// chainOff turns the hash chain off in every instance the bench starts
	// (system.Config.ChainSwitchForMeasurement) while it holds true; only
	// the chain phase sets it, and it clears it when it ends.
	chainOff atomic.Bool

	baseline1Rate, baseline2Rate float64
	// stockGokaRate is the stock goka counter's records/s (stockgoka.go).
	stockGokaRate float64
	// aggregateRate is the aggregate stage's commands/s, for the floor's
	// note.
	aggregateRate float64
	// aggregateHeap is the aggregate stage's peak live heap (MiB), the
	// pipeline's heap figure's baseline.
	aggregateHeap float64
	// aggregateCPU is the aggregate stage's CPU per command (µs, the
	// process and ClickHouse), and aggregateSnapshot the mean size of the
	// snapshots it wrote last: the pipeline is compared with both.
	aggregateCPU      float64
	aggregateSnapshot int
	keysInTable       int
	// lagRows is the typical rows per projector batch during the pipeline,
	// for the insert-time probe.
	lagRows int
}

// phases are a run's steps, in order; those with an id can be skipped
// (Config.Skip).
var phases = []struct {
	id, name string
	fn       func(*env, context.Context) error
}{
	{"baseline1", "baseline 1: raw franz-go consume→produce", (*env).baseline1},
	{"baseline2", "baseline 2: goka counter processor", (*env).baseline2},
	{"stockgoka", "stock goka counter: goka's storage and sarama producer", (*env).stockGoka},
	{"", "registering the aggregates", (*env).register},
	{"", "aggregate processor throughput", (*env).aggregateThroughput},
	{"floor", "the architecture's floor: state, event and result records without MallBots' code", (*env).floor},
	{"chain", "the hash chain's cost: the aggregate stage unchained and chained, in turn", (*env).chainCost},
	{"latency", "command→result latency", (*env).latency},
	{"recovery", "state table recovery", (*env).recovery},
	{"", "pipeline to ClickHouse", (*env).pipeline},
	{"", "zero loss", (*env).checkLoss},
	{"memory", "mallbots run: restart and memory", (*env).memory},
}

// SkippablePhases are the phases Config.Skip may name; the others
// (registrations, the aggregate, the pipeline, zero loss) are what the run
// is for.
func SkippablePhases() []string {
	var ids []string
	for _, p := range phases {
		if p.id != "" {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// Run measures everything and returns the report. It returns an error for
// what makes the figures meaningless (the stack did not start, a phase
// failed); lost commands or events are failed checks in the report (see
// Report.Failed), never a missed target.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	dir := cfg.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "mallbots-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	e := &env{cfg: cfg, dir: dir, out: &progress{w: cfg.Progress}, report: &Report{Config: cfg, Started: time.Now().UTC()}}
	e.out.phase("starting the embedded stack (broker, schema registry, ClickHouse) in %s", dir)
	if err := e.start(ctx); err != nil {
		e.stop()
		return nil, err
	}
	defer e.stop()
	e.report.Machine = describeMachine(ctx, e.ch)

	// A report cut short by an error still says how long it ran.
	defer func() { e.report.Took = time.Since(e.report.Started) }()
	for _, p := range phases {
		if p.id != "" && slices.Contains(cfg.Skip, p.id) {
			continue
		}
		e.out.phase("%s", p.name)
		t0 := time.Now()
		if err := p.fn(e, ctx); err != nil {
			return e.report, fmt.Errorf("bench: %s: %w", p.name, err)
		}
		e.out.line("  done in %s", time.Since(t0).Round(100*time.Millisecond))
	}
	return e.report, nil
}

func (e *env) start(ctx context.Context) error {
	stack, err := system.Start(ctx, system.Config{
		DataDir: filepath.Join(e.dir, "stack"), HTTPAddr: "127.0.0.1:0", KafkaAddr: "127.0.0.1:0",
		RegistryAddr: "127.0.0.1:0", ClickHouseTCPAddr: "127.0.0.1:0",
		Components: []string{"none"}, Log: e.cfg.Log,
		// A private stack on loopback, deleted after the run: its figures
		// stay comparable with every earlier run (docs/benchmarks.md), and
		// its raw clients and baseline processors need no principal
		// (docs/adr/0020-kafka-acls-enforced.md).
		InsecureKafkaNoAuth: true,
	})
	if err != nil {
		return fmt.Errorf("bench: start the embedded stack: %w", err)
	}
	e.stack = stack
	if e.kafka, err = newKafka(stack.Brokers()); err != nil {
		return err
	}
	e.ch, err = clickhouse.Open(&clickhouse.Options{Addr: []string{stack.ClickHouseAddr()}, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	e.sd = stack.Serde()
	e.wl, err = newWorkload(e.sd, e.cfg.Keys)
	return err
}

// stop shuts down whatever still runs.
func (e *env) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if e.agg != nil {
		_ = e.agg.Shutdown(ctx)
		e.agg = nil
	}
	if e.kafka != nil {
		e.kafka.close()
		e.kafka = nil
	}
	if e.ch != nil {
		_ = e.ch.Close()
		e.ch = nil
	}
	if e.stack != nil {
		_ = e.stack.Shutdown(ctx)
		e.stack = nil
	}
}

// instance starts MallBots components on the embedded stack, as another
// instance of the distributed shape would (external brokers, registry and
// ClickHouse), with its own local stores under name, and waits until it is
// ready. It returns how long that took.
func (e *env) instance(ctx context.Context, name string, components []string) (*system.System, time.Duration, error) {
	t0 := time.Now()
	s, err := system.Start(ctx, system.Config{
		DataDir: filepath.Join(e.dir, "instances", name), HTTPAddr: "127.0.0.1:0",
		Brokers: e.stack.Brokers(), SchemaRegistry: e.stack.RegistryURL(),
		ClickHouse: e.stack.ClickHouseAddr(), ClickHouseUser: "default",
		Components: components, Log: e.cfg.Log, ChainSwitchForMeasurement: &e.chainOff,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("start instance %s: %w", name, err)
	}
	lastPrint := time.Now()
	for {
		err := s.Ready()
		if err == nil {
			return s, time.Since(t0), nil
		}
		if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			e.out.line("  [%s] %.0fs: %v", name, time.Since(t0).Seconds(), err)
		}
		select {
		case <-ctx.Done():
			_ = shutdown(s)
			return nil, 0, ctx.Err()
		case <-s.Done():
			_ = shutdown(s)
			return nil, 0, fmt.Errorf("instance %s failed: %w", name, s.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func shutdown(s *system.System) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.Shutdown(ctx)
}

// stageOf fills in what every throughput stage shares.
func (e *env) stageOf(name string, d time.Duration) stage {
	return stage{
		name: name, duration: d, warmup: e.cfg.warmupOf(d), backlog: e.cfg.Backlog,
		poll: 50 * time.Millisecond, drain: 2 * time.Minute, out: e.out.w,
	}
}

var errLoss = errors.New("records were lost")
