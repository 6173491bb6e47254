package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
)

// statsTimeout bounds how long a scrape waits for goka's stats.
const statsTimeout = 2 * time.Second

// WatchProcessor adds a goka processor to the stats collector: stats
// returns its current stats (the supervisor may replace the processor),
// recovered whether it has recovered and runs.
func (m *Metrics) WatchProcessor(group string, stats func(context.Context) *goka.ProcessorStats, recovered func() bool) {
	if m == nil {
		return
	}
	m.goka.add(gokaSource{kind: "processor", name: group, processor: stats, recovered: recovered})
}

// WatchView adds a goka view to the stats collector (name: its table, or
// what tells several views of one table apart).
func (m *Metrics) WatchView(name string, stats func(context.Context) *goka.ViewStats, recovered func() bool) {
	if m == nil {
		return
	}
	m.goka.add(gokaSource{kind: "view", name: name, view: stats, recovered: recovered})
}

type gokaSource struct {
	kind, name string
	processor  func(context.Context) *goka.ProcessorStats
	view       func(context.Context) *goka.ViewStats
	recovered  func() bool
}

// gokaCollector reads goka's processor and view stats at scrape time.
// Goka counts messages per partition since the partition was assigned, so
// a rebalance would make a sum go down; the collector keeps running totals
// per partition so the counters it exports only go up. Goka's own offset
// lag figure is not exported (it is always 0 here); see lag.go.
type gokaCollector struct {
	partitions, recovered                      *prometheus.Desc
	inMessages, inBytes, outMessages, outBytes *prometheus.Desc
	tableWrites                                *prometheus.Desc

	mu      sync.Mutex
	sources []gokaSource
	totals  map[counterKey]*runningTotal
}

type counterKey struct {
	metric, kind, name, topic string
	partition                 int32
}

// runningTotal turns goka's per-assignment count into a monotonic total.
type runningTotal struct{ last, total float64 }

func (r *runningTotal) observe(v float64) {
	if v >= r.last {
		r.total += v - r.last
	} else {
		r.total += v // the partition was assigned again and counts from 0
	}
	r.last = v
}

func newGokaCollector() *gokaCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "goka", name), help, labels, nil)
	}
	return &gokaCollector{
		partitions:  d("partitions", "Partitions a goka processor or view holds in this instance, by state (running, recovering, preparing, connecting, initializing, stopped; stateless for a processor without a table).", "kind", "name", "state"),
		recovered:   d("recovered", "1 when a goka processor or view has recovered its tables and runs, else 0.", "kind", "name"),
		inMessages:  d("input_messages_total", "Messages a goka processor consumed from an input topic, or a view from its table, in this instance.", "kind", "name", "topic"),
		inBytes:     d("input_bytes_total", "Bytes a goka processor consumed from an input topic, or a view from its table, in this instance.", "kind", "name", "topic"),
		outMessages: d("output_messages_total", "Messages a goka processor emitted to an output topic in this instance.", "kind", "name", "topic"),
		outBytes:    d("output_bytes_total", "Bytes a goka processor emitted to an output topic in this instance.", "kind", "name", "topic"),
		tableWrites: d("table_writes_total", "State writes a goka processor made to its group table in this instance.", "kind", "name"),
		totals:      map[counterKey]*runningTotal{},
	}
}

func (c *gokaCollector) add(s gokaSource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources = append(c.sources, s)
}

// Describe implements prometheus.Collector.
func (c *gokaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.partitions, c.recovered, c.inMessages, c.inBytes, c.outMessages, c.outBytes, c.tableWrites} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *gokaCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	for _, s := range c.sources {
		rec := 0.0
		if s.recovered != nil && s.recovered() {
			rec = 1
		}
		ch <- prometheus.MustNewConstMetric(c.recovered, prometheus.GaugeValue, rec, s.kind, s.name)
		if s.processor != nil {
			c.collectProcessor(ch, s, s.processor(ctx))
		}
		if s.view != nil {
			c.collectView(ch, s, s.view(ctx))
		}
	}
}

// observe updates the running total of a per-partition count.
func (c *gokaCollector) observe(metric string, s gokaSource, topic string, partition int32, v float64) {
	k := counterKey{metric, s.kind, s.name, topic, partition}
	t := c.totals[k]
	if t == nil {
		t = &runningTotal{}
		c.totals[k] = t
	}
	t.observe(v)
}

// emitTotals emits, per topic, the running totals of every partition the
// source ever held here, so a counter never goes down when a partition
// moves to another instance.
func (c *gokaCollector) emitTotals(ch chan<- prometheus.Metric, d *prometheus.Desc, metric string, s gokaSource, withTopic bool) {
	sums := map[string]float64{}
	for k, t := range c.totals {
		if k.metric == metric && k.kind == s.kind && k.name == s.name {
			sums[k.topic] += t.total
		}
	}
	for topic, v := range sums {
		if withTopic {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, s.kind, s.name, topic)
		} else {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, s.kind, s.name)
		}
	}
}

func (c *gokaCollector) collectProcessor(ch chan<- prometheus.Metric, s gokaSource, st *goka.ProcessorStats) {
	states := map[string]float64{}
	if st != nil {
		for p, ps := range st.Group {
			if ps == nil {
				continue
			}
			state := "stateless"
			if ps.TableStats != nil {
				state = stateName(ps.TableStats.Status)
				if ps.TableStats.Writes != nil {
					c.observe("writes", s, "", p, float64(ps.TableStats.Writes.Count))
				}
			}
			states[state]++
			for topic, is := range ps.Input {
				c.observe("in", s, topic, p, float64(is.Count))
				c.observe("inb", s, topic, p, float64(is.Bytes))
			}
			for topic, os := range ps.Output {
				c.observe("out", s, topic, p, float64(os.Count))
				c.observe("outb", s, topic, p, float64(os.Bytes))
			}
		}
	}
	c.emitStates(ch, s, states)
	c.emitTotals(ch, c.inMessages, "in", s, true)
	c.emitTotals(ch, c.inBytes, "inb", s, true)
	c.emitTotals(ch, c.outMessages, "out", s, true)
	c.emitTotals(ch, c.outBytes, "outb", s, true)
	c.emitTotals(ch, c.tableWrites, "writes", s, false)
}

func (c *gokaCollector) collectView(ch chan<- prometheus.Metric, s gokaSource, st *goka.ViewStats) {
	states := map[string]float64{}
	if st != nil {
		for p, ts := range st.Partitions {
			if ts == nil {
				continue
			}
			states[stateName(ts.Status)]++
			if ts.Input != nil {
				c.observe("in", s, s.name, p, float64(ts.Input.Count))
				c.observe("inb", s, s.name, p, float64(ts.Input.Bytes))
			}
		}
	}
	c.emitStates(ch, s, states)
	c.emitTotals(ch, c.inMessages, "in", s, true)
	c.emitTotals(ch, c.inBytes, "inb", s, true)
}

func (c *gokaCollector) emitStates(ch chan<- prometheus.Metric, s gokaSource, states map[string]float64) {
	for state, n := range states {
		ch <- prometheus.MustNewConstMetric(c.partitions, prometheus.GaugeValue, n, s.kind, s.name, state)
	}
}

func stateName(s goka.PartitionStatus) string {
	switch s {
	case goka.PartitionStopped:
		return "stopped"
	case goka.PartitionInitializing:
		return "initializing"
	case goka.PartitionConnecting:
		return "connecting"
	case goka.PartitionRecovering:
		return "recovering"
	case goka.PartitionPreparing:
		return "preparing"
	case goka.PartitionRunning:
		return "running"
	}
	return "unknown"
}
