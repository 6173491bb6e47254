package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/mallbots/mallbots/views/analytics"
)

// AnalyticsBook runs the analysts' cookbook by name (analytics.Book): the
// console's charts are its queries, run as the read-only analyst.
type AnalyticsBook interface {
	Queries() []analytics.Query
	Run(ctx context.Context, name string, values map[string]string) (analytics.Table, error)
}

type analyticsQueryJSON struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Params are the query's parameters, given as ?name=value; Instants
	// are those of them that are RFC 3339 instants.
	Params   []string `json:"params"`
	Instants []string `json:"instants"`
}

type analyticsTableJSON struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

func (s *server) analyticsRoutes(mux *routes) {
	mux.HandleFunc("GET /api/analytics", func(w http.ResponseWriter, r *http.Request) {
		if !s.analyticsAvailable(w) {
			return
		}
		out := []analyticsQueryJSON{}
		for _, q := range s.Analytics.Queries() {
			out = append(out, analyticsQueryJSON{Name: q.Name, Title: q.Title, Params: nonNil(q.Params), Instants: nonNil(q.Instants)})
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /api/analytics/{name}", func(w http.ResponseWriter, r *http.Request) {
		if !s.analyticsAvailable(w) {
			return
		}
		name := r.PathValue("name")
		values := map[string]string{}
		for k, vs := range r.URL.Query() {
			if len(vs) != 1 {
				writeError(w, http.StatusBadRequest, "invalid_parameter", "give the parameter "+k+" once")
				return
			}
			values[k] = vs[0]
		}
		t, err := s.Analytics.Run(r.Context(), name, values)
		var bad *analytics.ParamError
		switch {
		case errors.Is(err, analytics.ErrUnknownQuery):
			writeError(w, http.StatusNotFound, "query_not_found", "the cookbook has no query named "+name+": GET /api/analytics lists them")
			return
		case errors.As(err, &bad):
			writeError(w, http.StatusBadRequest, "invalid_parameter", bad.Error())
			return
		case err != nil:
			s.Log.Warn("an analytics query failed", "query", name, "err", err)
			writeError(w, http.StatusServiceUnavailable, "unavailable", "the query could not run on ClickHouse (is it up?): "+err.Error())
			return
		}
		title := ""
		for _, q := range s.Analytics.Queries() {
			if q.Name == name {
				title = q.Title
			}
		}
		writeJSON(w, http.StatusOK, analyticsTableJSON{Name: name, Title: title, Columns: t.Columns, Rows: t.Rows})
	})
}

func (s *server) analyticsAvailable(w http.ResponseWriter) bool {
	if s.Analytics == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "analytics are not configured on this instance: run it with ClickHouse")
		return false
	}
	return true
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
