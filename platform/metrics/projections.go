package metrics

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// ProjectionStatus is one projection's figures for the collector.
type ProjectionStatus struct {
	Projection string
	// Tables are the projection's tables with their lag.
	Tables []TableLag
	// Local says whether this instance runs the projection; the counters
	// below are this instance's and only meaningful then.
	Local                                                           bool
	Records, Rows, Flushes, Skipped, InsertFailures, CommitFailures int64
	// Conflicts are records refused because the table holds their key with
	// other content (the events projection, docs/adr/0021).
	Conflicts int64
}

// TableLag is how far a table is behind the topics that feed it.
type TableLag struct {
	Table   string
	Events  int64
	Seconds float64
}

// WatchProjections adds the projections' lag and counters, read at scrape
// time from source (which measures lag from Kafka, whichever instance runs
// the projection, and may cache).
func (m *Metrics) WatchProjections(source func(context.Context) ([]ProjectionStatus, error), log *slog.Logger) {
	if m == nil {
		return
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "projection", name), help, labels, nil)
	}
	m.reg.MustRegister(&projectionCollector{
		source: source, log: log,
		lagEvents:      d("lag_events", "Events not yet in a ClickHouse table: records of the topics feeding it beyond the projection group's committed offsets.", "projection", "table"),
		lagSeconds:     d("lag_seconds", "Age of the oldest event not yet in a ClickHouse table, by its record timestamp; 0 when it has none.", "projection", "table"),
		records:        d("records_total", "Records this instance's projector applied and committed (skipped ones included).", "projection"),
		rows:           d("rows_total", "Rows this instance's projector inserted into ClickHouse.", "projection"),
		flushes:        d("flushes_total", "Batches this instance's projector landed in ClickHouse.", "projection"),
		skipped:        d("skipped_total", "Records this instance's projector skipped (the mapper refused them or their row did not fit).", "projection"),
		conflicts:      d("conflicts_total", "Records this instance's projector refused because the table holds their key with other content (a changed copy of an event).", "projection"),
		insertFailures: d("insert_failures_total", "Batch inserts ClickHouse refused (each is retried).", "projection"),
		commitFailures: d("commit_failures_total", "Offset commits Kafka refused after the rows landed (the records are redelivered and collapse).", "projection"),
	})
}

type projectionCollector struct {
	source                          func(context.Context) ([]ProjectionStatus, error)
	log                             *slog.Logger
	lagEvents, lagSeconds           *prometheus.Desc
	records, rows, flushes, skipped *prometheus.Desc
	conflicts                       *prometheus.Desc
	insertFailures, commitFailures  *prometheus.Desc
}

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lagEvents, c.lagSeconds, c.records, c.rows, c.flushes, c.skipped, c.conflicts, c.insertFailures, c.commitFailures} {
		ch <- d
	}
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), lagTimeout)
	defer cancel()
	all, err := c.source(ctx)
	if err != nil {
		c.log.Debug("projection lag not measured", "err", err)
		return
	}
	for _, p := range all {
		for _, t := range p.Tables {
			ch <- prometheus.MustNewConstMetric(c.lagEvents, prometheus.GaugeValue, float64(t.Events), p.Projection, t.Table)
			ch <- prometheus.MustNewConstMetric(c.lagSeconds, prometheus.GaugeValue, t.Seconds, p.Projection, t.Table)
		}
		if !p.Local {
			continue
		}
		for d, v := range map[*prometheus.Desc]int64{c.records: p.Records, c.rows: p.Rows, c.flushes: p.Flushes, c.skipped: p.Skipped, c.conflicts: p.Conflicts,
			c.insertFailures: p.InsertFailures, c.commitFailures: p.CommitFailures} {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), p.Projection)
		}
	}
}
