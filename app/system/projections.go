package system

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
)

// projectionRef is a projection this instance runs, for the report.
type projectionRef struct {
	p    warehouse.Projection
	proj *warehouse.Projector
}

// projectionsReport serves GET /api/projections: every projection of the
// system, whether this instance runs it or not, with its lag per table
// measured from Kafka (so the figures are the group's, whichever instance
// runs it), and this instance's projector counters where it runs one.
// Measuring reads the oldest pending record of every lagging partition, so
// a report is cached for a second.
type projectionsReport struct {
	s *System

	mu    sync.Mutex
	last  httpapi.ProjectionsReport
	until time.Time
}

// lagWait bounds the reads of the oldest pending records.
const lagWait = 2 * time.Second

// Projections implements httpapi.ProjectionsReader.
func (r *projectionsReport) Projections(ctx context.Context) (httpapi.ProjectionsReport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Now().Before(r.until) {
		return r.last, nil
	}
	s := r.s
	local := map[string]*warehouse.Projector{}
	s.projMu.Lock()
	for _, ref := range s.projections {
		local[ref.p.Name] = ref.proj
	}
	s.projMu.Unlock()

	rep := httpapi.ProjectionsReport{MeasuredAt: time.Now().UTC()}
	for _, p := range projections.All(s.sd) {
		// The lag is measured as the projector (its group's offsets, the
		// oldest pending record of its topics).
		opts, err := s.KafkaOpts(topics.ProjectorRole(p.Group))
		if err != nil {
			return httpapi.ProjectionsReport{}, err
		}
		lags, err := warehouse.MeasureLag(ctx, opts, p.Group, p.Topics, lagWait)
		if err != nil {
			return httpapi.ProjectionsReport{}, err
		}
		st := httpapi.ProjectionStatus{Name: p.Name, Group: p.Group, Tables: []httpapi.TableStatus{}}
		for _, l := range lags {
			st.LagEvents += l.Events
			st.LagSeconds = max(st.LagSeconds, l.Seconds)
		}
		for _, t := range warehouse.TablesLag(p.Tables, lags, projections.Sources(p)) {
			st.Tables = append(st.Tables, httpapi.TableStatus{Table: t.Table, Topics: t.Topics, LagEvents: t.Events, LagSeconds: t.Seconds})
		}
		if proj, ok := local[p.Name]; ok {
			c := proj.Stats()
			st.Local, st.Ready = true, proj.Ready()
			st.Stats = &httpapi.ProjectionStats{Records: c.Records, Rows: c.Rows, Flushes: c.Flushes, Skipped: c.Skipped, Conflicts: c.Conflicts,
				InsertFailures: c.InsertFailures, CommitFailures: c.CommitFailures}
		}
		rep.Projections = append(rep.Projections, st)
	}
	r.last, r.until = rep, time.Now().Add(time.Second)
	return rep, nil
}

// StopClickHouse stops the managed ClickHouse server (as an outage would):
// the projections keep their batches and retry until RestartClickHouse.
// An error when ClickHouse is external (--clickhouse).
func (s *System) StopClickHouse(ctx context.Context) error {
	if s.ch == nil {
		return errors.New("system: ClickHouse is external; stop it yourself")
	}
	return s.ch.Stop(ctx)
}

// RestartClickHouse starts the managed ClickHouse server again after
// StopClickHouse, on the same directory and address, so that the
// connections the system holds reconnect to it.
func (s *System) RestartClickHouse(ctx context.Context) error {
	if s.ch == nil {
		return errors.New("system: ClickHouse is external; start it yourself")
	}
	select {
	case <-s.ch.Done():
	default:
		return errors.New("system: ClickHouse is still running; StopClickHouse first")
	}
	srv, err := chserver.Start(ctx, s.ch.Dir(), chserver.WithTCPAddr(s.ch.Addr()), chserver.WithLogger(s.log))
	if err != nil {
		return fmt.Errorf("system: restart ClickHouse: %w", err)
	}
	s.ch = srv
	s.closers = append(s.closers, srv.Stop)
	return nil
}
