package system

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/topics"
)

// Metrics is the system's Prometheus registry and instruments (served on
// /metrics).
func (s *System) Metrics() *metrics.Metrics { return s.metrics }

// startTracing picks the tracer provider: Config.TracerProvider, else an
// OTLP exporter when Config.OTLPEndpoint is set, else none (a no-op that
// still passes incoming trace context on).
func (s *System) startTracing(ctx context.Context) error {
	switch {
	case s.cfg.TracerProvider != nil:
		s.tp = s.cfg.TracerProvider
	case s.cfg.OTLPEndpoint != "":
		tp, shutdown, err := tracing.OTLP(ctx, s.cfg.OTLPEndpoint, "mallbots")
		if err != nil {
			return err
		}
		s.tp = tp
		s.closers = append(s.closers, shutdown)
		s.log.Info("exporting traces over OTLP/HTTP", "endpoint", s.cfg.OTLPEndpoint)
	}
	return nil
}

// startMetrics adds the collectors read from Kafka at scrape time: every
// MallBots consumer group's lag per topic, and every projection's lag per
// table with this instance's projector counters.
func (s *System) startMetrics(context.Context) error {
	opts, err := s.kafkaClientOptsAs("metrics", topics.RoleMetrics)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("metrics: Kafka client: %w", err)
	}
	s.closers = append(s.closers, func(context.Context) error { cl.Close(); return nil })
	s.metricsAdm = kadm.NewClient(cl)
	s.metrics.WatchGroupLag(s.metricsAdm, "mallbots.", s.log)
	s.metrics.WatchProjections(s.projectionStatuses, s.log)
	return nil
}

// projectionStatuses reads the projections report (cached for a second,
// shared with GET /api/projections) for the metrics.
func (s *System) projectionStatuses(ctx context.Context) ([]metrics.ProjectionStatus, error) {
	rep, err := s.report.Projections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.ProjectionStatus, 0, len(rep.Projections))
	for _, p := range rep.Projections {
		st := metrics.ProjectionStatus{Projection: p.Name}
		for _, t := range p.Tables {
			st.Tables = append(st.Tables, metrics.TableLag{Table: t.Table, Events: t.LagEvents, Seconds: t.LagSeconds})
		}
		if p.Stats != nil {
			st.Local = true
			st.Records, st.Rows, st.Flushes, st.Skipped = p.Stats.Records, p.Stats.Rows, p.Stats.Flushes, p.Stats.Skipped
			st.InsertFailures, st.CommitFailures, st.Conflicts = p.Stats.InsertFailures, p.Stats.CommitFailures, p.Stats.Conflicts
		}
		out = append(out, st)
	}
	return out, nil
}

// observability is what the HTTP server reports to.
func (s *System) observability() httpapi.Observability {
	return httpapi.Observability{Metrics: s.metrics.Handler(), ObserveRequest: s.metrics.ObserveRequest, Tracer: s.tp}
}
