package httpapi

import (
	"context"
	"net/http"
	"time"
)

// OperationsReader reports what the operators' page shows (app/system
// measures it).
type OperationsReader interface {
	Operations(ctx context.Context) (OperationsReport, error)
}

// OperationsReport is the body of GET /api/operations.
type OperationsReport struct {
	MeasuredAt time.Time `json:"measuredAt"`
	// Components are this instance's components and whether each is ready.
	Components []ComponentStatus `json:"components"`
	// Groups are every processor group of the system, whichever instance
	// runs it.
	Groups []GroupStatus `json:"groups"`
	// Projections are as GET /api/projections reports them.
	Projections []ProjectionStatus `json:"projections"`
	// DeadLetters are the newest records of mallbots.deadletter, newest
	// first.
	DeadLetters []DeadLetter `json:"deadLetters"`
	// Throughput is the records each group committed per second, sampled
	// over the last minutes, oldest first.
	Throughput []ThroughputSample `json:"throughput"`
}

// ComponentStatus is one component of this instance.
type ComponentStatus struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// GroupStatus is one consumer group: its state, members and partitions.
type GroupStatus struct {
	Group      string            `json:"group"`
	State      string            `json:"state"`
	Members    int               `json:"members"`
	Lag        int64             `json:"lag"`
	Partitions []PartitionStatus `json:"partitions"`
	// Error says why the group could not be described, if it could not.
	Error string `json:"error,omitempty"`
}

// PartitionStatus is one partition a group consumes: who owns it and how
// far behind the group is.
type PartitionStatus struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Owner is the member that holds it (its client id and host), "" when
	// nobody does.
	Owner string `json:"owner"`
	Lag   int64  `json:"lag"`
}

// DeadLetter is a record the system set aside, with why and from where.
type DeadLetter struct {
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Time      time.Time `json:"time"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	// Source is where the record came from: topic/partition@offset and
	// the group that set it aside.
	Source string `json:"source"`
}

// ThroughputSample is one sample: records per second per group since the
// previous one.
type ThroughputSample struct {
	Time    time.Time          `json:"time"`
	Records map[string]float64 `json:"records"`
}

// operationsTick is how often GET /api/operations/live measures again.
const operationsTick = 2 * time.Second

func (s *server) operationsRoutes(mux *routes) {
	mux.HandleFunc("GET /api/operations", func(w http.ResponseWriter, r *http.Request) {
		if s.operationsAvailable(w) {
			writeReport(s, w, r, "the operations report", s.Operations.Operations)
		}
	})
	mux.HandleFunc("GET /api/operations/live", func(w http.ResponseWriter, r *http.Request) {
		if !s.operationsAvailable(w) {
			return
		}
		s.stream(w, r, "operations", operationsTick, func(ctx context.Context) (any, error) {
			rep, err := s.Operations.Operations(ctx)
			if err != nil {
				return nil, err
			}
			return rep, nil
		})
	})
}

func (s *server) operationsAvailable(w http.ResponseWriter) bool {
	if s.Operations == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "this instance does not report operations")
		return false
	}
	return true
}

// writeReport answers with the report measure takes now, or, when it
// fails, logs that and answers 503 saying what could not be measured
// (what, e.g. "the operations report").
func writeReport[R any](s *server, w http.ResponseWriter, r *http.Request, what string, measure func(context.Context) (R, error)) {
	rep, err := measure(r.Context())
	if err != nil {
		s.Log.Warn("measuring "+what+" failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", what+" could not be measured (is Kafka reachable?): "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
