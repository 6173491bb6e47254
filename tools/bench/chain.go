package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// chainCost measures what the hash chain (docs/adr/0021) costs the
// aggregate: on the aggregate stage's instance, broker and customers, it
// runs the aggregate stage with the chain off and on in turn, ChainPairs
// pairs of stages, each as long as the aggregate's and fed by the same
// feed. Two builds measured in separate runs differed by less than the
// runs' spread on a shared machine; stages interleaved in one run share
// its drift. One drift is the run's own: every customer's window of recent
// commands (docs/adr/0004) grows until it holds MinWindow entries, so the
// snapshots get larger with every stage. Hence the pairs alternate their
// order (off on, on off, off on, ...): over an even number of pairs a
// steady growth weighs on both variants alike, where off-on repeated
// would always give the chained stage the larger state.
//
// Besides each stage's rate, the phase takes the process's CPU time over
// the stage and its drain, divided by the commands it produced: the
// aggregate, the embedded broker and the load generator all run in this
// process, so that is the whole cost of a command but ClickHouse's (idle
// here), and it is counted while the process runs, not while it waits for
// a CPU that another process holds, as throughput is.
//
// The chain is turned off by the instance's measurement switch
// (engine.WithChainSwitchForMeasurement); the phase leaves it on. Each
// stage's events are read back: a stage whose events are not written as
// its name says fails the phase, rather than report a figure that
// measures something else.
func (e *env) chainCost(ctx context.Context) error {
	if e.agg == nil {
		return errors.New("the aggregate instance is not running")
	}
	defer e.chainOff.Store(false)
	pairs := make([][2]chainRun, e.cfg.ChainPairs) // [0] unchained, [1] chained
	for i := range pairs {
		for _, chained := range chainOrder(i) {
			name := fmt.Sprintf("%s %d/%d", variant(chained), i+1, len(pairs))
			e.chainOff.Store(!chained)
			start, cpu := time.Now(), processCPU()
			res, err := e.aggregateStage(ctx, name, e.cfg.StageDuration, 0, e.wl.changeRecord)
			if err != nil {
				return err
			}
			run := chainRun{rate: res.rate, perCPU: float64(res.produced) / (processCPU() - cpu).Seconds()}
			if run.event, run.state, err = e.writtenAs(ctx, name, chained, start); err != nil {
				return err
			}
			e.out.line("  %s: %s cmd/s, %s cmd per CPU-second; events %d bytes, snapshots %s (means of the stage's last records)",
				name, thousands(run.rate), thousands(run.perCPU), run.event, thousands(float64(run.state)))
			pairs[i][b2i(chained)] = run
		}
	}
	for _, f := range chainFigures(pairs) {
		e.report.add(f)
	}
	return nil
}

// chainOrder is the order of pair i's stages: unchained first in the
// even pairs, chained first in the odd ones.
func chainOrder(i int) []bool {
	if i%2 == 0 {
		return []bool{false, true}
	}
	return []bool{true, false}
}

// chainRun is one stage of the chain phase.
type chainRun struct {
	rate         float64
	perCPU       float64 // commands per second of the process's CPU time
	event, state int     // mean bytes of its events and snapshots
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func variant(chained bool) string {
	if chained {
		return "chained"
	}
	return "unchained"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writtenAs checks that the events the stage called name wrote since start
// (the last ones of each partition) are chained or not as it says, and
// returns the mean sizes of those events and of the snapshots written
// with them.
func (e *env) writtenAs(ctx context.Context, name string, chained bool, start time.Time) (event, state int, err error) {
	var n, wrong, eventBytes int
	var decodeErr error
	err = e.writtenSince(ctx, topics.Customers.Events.Name, start, func(r *kgo.Record) {
		v, err := e.sd.Decode(ctx, serde.Position{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}, r.Value)
		ev, ok := v.(schemas.Event)
		if err != nil || !ok {
			decodeErr = fmt.Errorf("%s: an event of the stage does not decode (%T): %v", name, v, err)
			return
		}
		n++
		eventBytes += len(r.Value)
		if (ev.EventMetadata().Hash != "") != chained {
			wrong++
		}
	})
	if err = errors.Join(err, decodeErr); err != nil {
		return 0, 0, err
	}
	if n == 0 || wrong > 0 {
		return 0, 0, fmt.Errorf("%s: %d of the %d events read back from the stage are not %s: the figure would not measure what it names", name, wrong, n, variant(chained))
	}
	var states, stateBytes int
	err = e.writtenSince(ctx, topics.Customers.Table.Name, start, func(r *kgo.Record) {
		states++
		stateBytes += len(r.Value)
	})
	if err != nil {
		return 0, 0, err
	}
	return eventBytes / n, stateBytes / max(states, 1), nil
}

// writtenSince calls fn with the records of topic among the last 50 of
// each partition that were written at or after since.
func (e *env) writtenSince(ctx context.Context, topic string, since time.Time, fn func(*kgo.Record)) error {
	return e.kafka.readToEnd(ctx, topic, func(end int64) kgo.Offset { return kgo.NewOffset().At(max(0, end-50)) }, func(r *kgo.Record) {
		if !r.Timestamp.Before(since) {
			fn(r)
		}
	})
}

// chainFigures are the medians of the unchained and the chained stages,
// by rate and by CPU time, and their ratios, with every stage in the notes
// (in the order they ran) and the ratio of each pair, since a median
// hides how far apart the stages were. The target is on the rate.
func chainFigures(pairs [][2]chainRun) []Figure {
	var unchained, chained []chainRun
	var ratios, cpuRatios []string
	for i, p := range pairs {
		for _, c := range chainOrder(i) {
			if c {
				chained = append(chained, p[1])
			} else {
				unchained = append(unchained, p[0])
			}
		}
		ratios = append(ratios, fmt.Sprintf("%.2f", ratio(p[1].rate, p[0].rate)))
		cpuRatios = append(cpuRatios, fmt.Sprintf("%.2f", ratio(p[1].perCPU, p[0].perCPU)))
	}
	rate := func(r chainRun) float64 { return r.rate }
	perCPU := func(r chainRun) float64 { return r.perCPU }
	off, on := median(unchained, rate), median(chained, rate)
	offCPU, onCPU := median(unchained, perCPU), median(chained, perCPU)
	r := ratio(on, off)
	return []Figure{
		{Name: "aggregate.unchained.throughput", What: "the aggregate stage with the hash chain off (a measurement switch): commands → results, commands/s, median of its stages",
			Value: off, Unit: "cmd/s", Note: runsNote(unchained, rate, "cmd/s")},
		{Name: "aggregate.chained.throughput", What: "the aggregate stage with the hash chain, interleaved with the unchained stages: commands → results, commands/s, median of its stages",
			Value: on, Unit: "cmd/s", Baseline: off, BaselineName: "unchained", Ratio: r, Target: "≥ 0.95 × unchained", Met: ptr(r >= 0.95),
			Note: runsNote(chained, rate, "cmd/s") + "; each pair chained/unchained: " + strings.Join(ratios, " · ")},
		{Name: "aggregate.unchained.per_cpu_second", What: "the unchained stages: commands per second of the process's CPU time (stack and load generator, ClickHouse aside), median",
			Value: offCPU, Unit: "cmd/CPU-s", Note: runsNote(unchained, perCPU, "cmd/CPU-s")},
		{Name: "aggregate.chained.per_cpu_second", What: "the chained stages: commands per second of the process's CPU time (stack and load generator, ClickHouse aside), median",
			Value: onCPU, Unit: "cmd/CPU-s", Baseline: offCPU, BaselineName: "unchained", Ratio: ratio(onCPU, offCPU),
			Note: runsNote(chained, perCPU, "cmd/CPU-s") + "; each pair chained/unchained: " + strings.Join(cpuRatios, " · ")},
	}
}

// runsNote lists the stages' figures of, in the order they ran, and the
// last stage's record sizes.
func runsNote(runs []chainRun, of func(chainRun) float64, unit string) string {
	var rs []string
	for _, r := range runs {
		rs = append(rs, thousands(of(r)))
	}
	var last chainRun
	if len(runs) > 0 {
		last = runs[len(runs)-1]
	}
	return fmt.Sprintf("stages in order: %s %s; events %d bytes, snapshots %s (the last stage's means)", strings.Join(rs, " · "), unit, last.event, thousands(float64(last.state)))
}

// median is the middle value of of(r) over runs (the mean of the middle
// two for an even count); 0 for none.
func median(runs []chainRun, of func(chainRun) float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	s := make([]float64, len(runs))
	for i, r := range runs {
		s[i] = of(r)
	}
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
