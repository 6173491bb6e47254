// Package metrics is MallBots' Prometheus instrumentation: one registry per
// System, served on /metrics by the same HTTP server as the API or the
// health probes. It holds
//
//   - the business counters the processors record (commands decided by
//     aggregate, command and rejection code; repeated commands; saga
//     outcomes and step timeouts), through nil-safe methods,
//     so code under goka's tester records into a nil *Metrics for free;
//   - the HTTP request latency histogram (by route pattern and status);
//   - franz-go client metrics through plugin/kprom hooks, one set per
//     named client (kafka.go);
//   - collectors read at scrape time: goka processor and view stats
//     (goka.go), consumer-group lag per topic from kadm (lag.go), and the
//     projections' lag per table and their counters (projections.go).
//
// Every name starts with mallbots_; docs/operations.md lists them and
// deploy/grafana/mallbots-dashboard.json charts them.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every MallBots metric.
const Namespace = "mallbots"

// Metrics is one System's registry and the instruments on it. The zero
// value is not usable; a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	commands      *prometheus.CounterVec
	repeated      *prometheus.CounterVec
	sagaOutcomes  *prometheus.CounterVec
	sagaTimeouts  *prometheus.CounterVec
	sagaStarted   prometheus.Counter
	httpDurations *prometheus.HistogramVec

	goka    *gokaCollector
	records recordInstruments

	kafkaMu sync.Mutex
	kafka   map[string]*kafkaHooks
}

// New makes a registry with the Go runtime and process collectors and
// every MallBots instrument.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), kafka: map[string]*kafkaHooks{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// counters registers the counters of one name, help and label set.
	counters := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}

	m.commands = counters("commands_total",
		"Commands an aggregate decided for the first time, by aggregate type, command type, outcome (accepted, rejected) and rejection code (empty when accepted). Counted in the aggregate's processor; redeliveries and client retries are in mallbots_commands_repeated_total instead.",
		"aggregate", "command", "outcome", "code")
	m.repeated = counters("commands_repeated_total",
		"Commands an aggregate had handled before, by kind: retry (same command id, new record: the recorded result is answered again), redelivery (the same record after a crash or rebalance: state re-written, missing events emitted), skipped (older than the state).",
		"aggregate", "kind")
	m.sagaStarted = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Name: "saga_started_total",
		Help: "Create-order sagas started (one per OrderCreated).",
	})
	m.reg.MustRegister(m.sagaStarted)
	m.sagaOutcomes = counters("saga_outcomes_total",
		"Create-order sagas decided, by outcome (approved, rejected) and reason: the rejection code of the step's reply, or step_timeout; empty when approved. A rejection is counted when the failure starts the compensation.",
		"outcome", "reason")
	m.sagaTimeouts = counters("saga_step_timeouts_total",
		"Saga steps that failed because their reply did not arrive before the deadline, by step.",
		"step")
	m.httpDurations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern (method and path pattern, e.g. PUT /api/baskets/{id}/checkout) and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "status"})
	m.reg.MustRegister(m.httpDurations)
	m.goka = newGokaCollector()
	m.reg.MustRegister(m.goka)
	return m
}

// Registry is where collectors of other packages register.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// CommandDecided counts a command an aggregate decided for the first time:
// accepted, or rejected with code.
func (m *Metrics) CommandDecided(aggregate, command string, accepted bool, code string) {
	if m == nil {
		return
	}
	outcome := "accepted"
	if !accepted {
		outcome = "rejected"
	}
	m.commands.WithLabelValues(aggregate, command, outcome, code).Inc()
}

// Aggregate creates an aggregate's repeated-command series at zero, so a
// dashboard shows 0 rather than nothing before the first retry.
func (m *Metrics) Aggregate(aggregate string) {
	if m == nil {
		return
	}
	for _, kind := range []string{"retry", "redelivery", "skipped"} {
		m.repeated.WithLabelValues(aggregate, kind)
	}
}

// CommandRepeated counts a command handled before (kind: retry,
// redelivery, skipped).
func (m *Metrics) CommandRepeated(aggregate, kind string) {
	if m == nil {
		return
	}
	m.repeated.WithLabelValues(aggregate, kind).Inc()
}

// SagaStarted counts a saga that started.
func (m *Metrics) SagaStarted() {
	if m == nil {
		return
	}
	m.sagaStarted.Inc()
}

// SagaDecided counts a saga's outcome: approved (reason empty) or rejected
// with reason.
func (m *Metrics) SagaDecided(approved bool, reason string) {
	if m == nil {
		return
	}
	outcome := "approved"
	if !approved {
		outcome = "rejected"
	}
	m.sagaOutcomes.WithLabelValues(outcome, reason).Inc()
}

// SagaSteps creates the saga series at zero (approvals, and the timeouts of
// each step), so that a dashboard shows 0 rather than nothing before the
// first one.
func (m *Metrics) SagaSteps(steps ...string) {
	if m == nil {
		return
	}
	m.sagaOutcomes.WithLabelValues("approved", "")
	for _, s := range steps {
		m.sagaTimeouts.WithLabelValues(s)
	}
}

// SagaStepTimedOut counts a step that failed by timeout.
func (m *Metrics) SagaStepTimedOut(step string) {
	if m == nil {
		return
	}
	m.sagaTimeouts.WithLabelValues(step).Inc()
}

// ObserveRequest records an HTTP request's latency by route pattern and
// status.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpDurations.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}
