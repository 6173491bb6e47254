package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mallbots/mallbots/app/replay"
)

// HistoryReader reads an aggregate as the event log says it was at an
// instant: app/replay's Log.
type HistoryReader interface {
	AsOf(ctx context.Context, typ, id string, at time.Time) (*replay.Point, error)
}

// historyTimeout bounds one time-travel read: it scans one event
// partition from its start, which takes longer than a point read.
const historyTimeout = 30 * time.Second

// historyRoutes serves GET /api/history/{type}/{id}?at=TIME: the
// aggregate's state and version at that instant (default now), folded
// from its events alone. 400 for an unknown type or a bad time, 404 when
// the aggregate had no event yet at that instant.
func (s *server) historyRoutes(mux *routes) {
	mux.HandleFunc("GET /api/history/{type}/{id}", func(w http.ResponseWriter, r *http.Request) {
		at, ok := instant(w, r.URL.Query().Get("at"))
		if !ok {
			return
		}
		if s.History == nil {
			writeError(w, http.StatusServiceUnavailable, "history_unavailable", "this instance does not read the event log")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), historyTimeout)
		defer cancel()
		p, err := s.History.AsOf(ctx, r.PathValue("type"), r.PathValue("id"), at)
		var unknown *replay.UnknownTypeError
		var notYet *replay.NotYetError
		switch {
		case errors.As(err, &unknown):
			writeError(w, http.StatusBadRequest, "unknown_aggregate_type", unknown.Error())
		case errors.As(err, &notYet):
			writeError(w, http.StatusNotFound, "not_in_history", notYet.Error())
		case err != nil:
			s.internal(w, err)
		default:
			writeJSON(w, http.StatusOK, p)
		}
	})
}

// instant reads ?at=: an RFC 3339 instant, now when absent. A '+' of a
// UTC offset arrives as a space when the client did not encode it as %2B;
// it is taken back.
func instant(w http.ResponseWriter, q string) (time.Time, bool) {
	if q == "" {
		return time.Now(), true
	}
	at, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(q, " ", "+"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_time", fmt.Sprintf("at must be an RFC 3339 instant such as 2026-05-01T12:00:00Z or 2026-05-01T14:00:00.250%%2B02:00, got %q", q))
		return time.Time{}, false
	}
	return at, true
}
