package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The record instruments are filled by the processors' middleware chain
// (processors/engine, chain.go), one set per goka group. They are made on
// the first group that asks, so that a registry without processors (a
// view-only test, a tool) does not show empty families.

// Outcome is what became of a record a group handled.
type Outcome int

const (
	// Handled: the group's handler ran to its end.
	Handled Outcome = iota
	// DeadLettered: the record was copied to mallbots.deadletter with a
	// reason, and the partition went on.
	DeadLettered
	// Failed: the handler panicked or failed the record (goka's
	// ctx.Fail): goka stops the processor and the record is handled again
	// when it restarts.
	Failed
)

var outcomeLabels = [...]string{Handled: "handled", DeadLettered: "dead_lettered", Failed: "failed"}

// GroupRecords counts one goka group's records by outcome and times their
// handling. A nil *GroupRecords records nothing.
type GroupRecords struct {
	outcomes [len(outcomeLabels)]prometheus.Counter
	seconds  prometheus.Observer
}

type recordInstruments struct {
	once    sync.Once
	total   *prometheus.CounterVec
	seconds *prometheus.HistogramVec
}

// Records are group's instruments, its series created at zero.
func (m *Metrics) Records(group string) *GroupRecords {
	if m == nil {
		return nil
	}
	r := &m.records
	r.once.Do(func() {
		r.total = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "records_total",
			Help: "Records a processor group handled, by group and outcome: handled (its handler ran to the end), dead_lettered (copied to mallbots.deadletter with a reason; the partition went on), failed (a panic or ctx.Fail: goka stops the processor and the record is handled again after the restart).",
		}, []string{"group", "outcome"})
		r.seconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "record_handling_seconds",
			Help:    "Time a processor group's callback took for one record, decoding included, by group. A lookup that misses waits for its table (up to the lookup grace), which shows here.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"group"})
		m.reg.MustRegister(r.total, r.seconds)
	})
	g := &GroupRecords{seconds: r.seconds.WithLabelValues(group)}
	for o, label := range outcomeLabels {
		g.outcomes[o] = r.total.WithLabelValues(group, label)
	}
	return g
}

// Observe counts a record with its outcome and the time it took.
func (g *GroupRecords) Observe(o Outcome, took time.Duration) {
	if g == nil {
		return
	}
	g.outcomes[o].Inc()
	g.seconds.Observe(took.Seconds())
}
