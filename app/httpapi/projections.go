package httpapi

import (
	"context"
	"net/http"
	"time"
)

// ProjectionsReader reports the ClickHouse projections' progress for
// GET /api/projections.
type ProjectionsReader interface {
	Projections(ctx context.Context) (ProjectionsReport, error)
}

// ProjectionsReport is the body of GET /api/projections.
type ProjectionsReport struct {
	// MeasuredAt is when the figures were taken from Kafka.
	MeasuredAt  time.Time          `json:"measuredAt"`
	Projections []ProjectionStatus `json:"projections"`
}

// ProjectionStatus is one projection: a consumer group that writes some
// ClickHouse tables.
type ProjectionStatus struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	// Local says that this instance runs the projection; Ready and Stats
	// are then this instance's. Lag is the group's, whoever runs it.
	Local bool `json:"local"`
	// Ready turns true once the projection has applied every record its
	// topics held when it started.
	Ready bool `json:"ready"`
	// LagEvents are the records of its topics not yet committed (applied
	// to ClickHouse); LagSeconds is the age of the oldest of them, 0 when
	// there are none.
	LagEvents  int64            `json:"lagEvents"`
	LagSeconds float64          `json:"lagSeconds"`
	Tables     []TableStatus    `json:"tables"`
	Stats      *ProjectionStats `json:"stats,omitempty"`
}

// TableStatus is one table's lag: that of the topics that feed it.
type TableStatus struct {
	Table      string   `json:"table"`
	Topics     []string `json:"topics"`
	LagEvents  int64    `json:"lagEvents"`
	LagSeconds float64  `json:"lagSeconds"`
}

// ProjectionStats count what this instance's projector did since it
// started.
type ProjectionStats struct {
	Records        int64 `json:"records"`
	Rows           int64 `json:"rows"`
	Flushes        int64 `json:"flushes"`
	Skipped        int64 `json:"skipped"`
	InsertFailures int64 `json:"insertFailures"`
	CommitFailures int64 `json:"commitFailures"`
	Conflicts      int64 `json:"conflicts"` // records refused: their key is held with other content
}

func (s *server) projectionRoutes(mux *routes) {
	mux.HandleFunc("GET /api/projections", func(w http.ResponseWriter, r *http.Request) {
		if s.Projections == nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", "this instance does not report projections")
			return
		}
		writeReport(s, w, r, "the projections' lag", s.Projections.Projections)
	})
}
