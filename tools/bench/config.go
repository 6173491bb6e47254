// Package bench is `mallbots bench`: it starts the embedded stack (broker,
// schema registry, ClickHouse) in one process and measures, in one run and
// on that one broker, the MallBots pipeline next to baselines that do the
// least the same job could cost:
//
//   - baseline 1: a raw franz-go consume→produce loop;
//   - baseline 2: a minimal goka processor with one counter table, with the
//     same goka configuration as the processors (platform/gokart: the
//     producer, the consumer, the store of a processor's own table);
//   - the stock goka counter: baseline 2's counter on goka's own storage and
//     sarama producer (stockgoka.go);
//   - baseline 3: a raw franz-go request→reply round trip through a relay;
//   - baseline 4: a raw franz-go replay of a state table into a map.
//
// Against them: the aggregate processor's throughput (commands → results)
// and the architecture's floor (floor.go), what the hash chain costs the
// aggregate (chain.go: stages with it off and on, in turn),
// the pipeline's (commands → events → rows visible in ClickHouse),
// command→result latency at fixed offered rates, state table recovery
// (cold and warm), projection lag under load, and the resident memory of
// `mallbots run` holding the aggregates. Figures drift on a shared machine,
// so every figure is reported next to its baseline and the targets are
// ratios (issue 7, docs/benchmarks.md). Timing never fails a run; loss does.
package bench

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Config sizes a run. Zero values take the defaults noted.
type Config struct {
	// DataDir holds the run's broker, ClickHouse and local stores. Default: a
	// temporary directory, removed at the end.
	DataDir string `json:"-"`
	// Duration is how long the pipeline is loaded. Default 60s.
	Duration time.Duration `json:"durationNs"`
	// StageDuration is how long each throughput stage other than the
	// pipeline is loaded (baselines 1 and 2, the stock goka counter, the
	// aggregate processor). Default 15s.
	StageDuration time.Duration `json:"stageDurationNs"`
	// Warmup is left out of every rate at the start of a stage. Default a
	// fifth of the stage, at most 5s.
	Warmup time.Duration `json:"-"`
	// LatencyDuration is how long each offered rate is held. Default 10s.
	LatencyDuration time.Duration `json:"latencyDurationNs"`
	// Rates are the offered rates (commands/s) of the latency figures.
	// Default 1,000 and 10,000.
	Rates []int `json:"rates"`
	// ChainPairs is how many pairs of aggregate stages, one unchained and
	// one chained, the chain phase runs. Default 4: an even number, so
	// that the pairs' alternating order balances a steady drift.
	ChainPairs int `json:"chainPairs"`
	// Keys is the number of aggregates registered (recovery and memory
	// figures; the other stages send commands to them). Default 100,000.
	Keys int `json:"keys"`
	// Backlog bounds the records produced but not yet processed during a
	// throughput stage. Default 50,000.
	Backlog int64 `json:"backlog"`
	// Exe is the mallbots binary: when set, the memory and whole-system
	// restart figures run `Exe run` as a child process on the run's data.
	Exe string `json:"-"`
	// Components the pipeline instance runs. Default: the Customer
	// aggregate, the events projection and the state projection.
	Components []string `json:"components"`
	// Skip names phases to leave out (SkippablePhases), to iterate on one
	// figure; their figures are absent and ratios against a skipped
	// baseline are 0.
	Skip []string `json:"skip,omitempty"`
	// HeapProfile, when set, is the prefix of the heap profiles written at
	// the peaks of the aggregate and pipeline stages ("<prefix>.<stage>.pprof",
	// rewritten each time the stage's live heap passes its last written peak
	// by heapProfileStep): a peak that lasts a few collections is gone by
	// the time anyone asks for a profile.
	HeapProfile string `json:"-"`
	// Progress receives a line per second while a stage runs; nil for none.
	Progress io.Writer `json:"-"`
	// Log receives the system's logs. Default: discarded below warnings.
	Log *slog.Logger `json:"-"`
}

// DefaultComponents is the pipeline of the bench: commands → the Customer
// aggregate → events and snapshots → ClickHouse (mallbots.events and
// mallbots.customers).
var DefaultComponents = []string{"customers", "projection.events", "projection.state"}

func (c *Config) defaults() error {
	if c.Duration == 0 {
		c.Duration = time.Minute
	}
	if c.StageDuration == 0 {
		c.StageDuration = 15 * time.Second
	}
	if c.LatencyDuration == 0 {
		c.LatencyDuration = 10 * time.Second
	}
	if len(c.Rates) == 0 {
		c.Rates = []int{1000, 10000}
	}
	if c.ChainPairs == 0 {
		c.ChainPairs = 4
	}
	if c.Keys == 0 {
		c.Keys = 100_000
	}
	if c.Backlog == 0 {
		c.Backlog = 50_000
	}
	if len(c.Components) == 0 {
		c.Components = DefaultComponents
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"duration", c.Duration}, {"stage duration", c.StageDuration}, {"latency duration", c.LatencyDuration}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("the %s must be positive, not %s", d.name, d.v))
		}
	}
	for _, r := range c.Rates {
		if r <= 0 {
			errs = append(errs, fmt.Errorf("rate %d: want a positive number of commands per second", r))
		}
	}
	if c.ChainPairs < 1 {
		errs = append(errs, fmt.Errorf("chain pairs %d: want at least 1", c.ChainPairs))
	}
	if c.Keys < 1 {
		errs = append(errs, fmt.Errorf("keys %d: want at least 1", c.Keys))
	}
	skippable := SkippablePhases()
	for _, p := range c.Skip {
		if !slices.Contains(skippable, p) {
			errs = append(errs, fmt.Errorf("skip %q: no such phase; the phases that can be skipped are %s", p, strings.Join(skippable, ", ")))
		}
	}
	if c.Backlog < 256 {
		errs = append(errs, fmt.Errorf("backlog %d: want at least 256", c.Backlog))
	}
	return errors.Join(errs...)
}

// warmupOf is the warm-up left out of a stage of duration d.
func (c *Config) warmupOf(d time.Duration) time.Duration {
	if c.Warmup > 0 {
		return min(c.Warmup, d/2)
	}
	return min(d/5, 5*time.Second)
}
