// Package httpapi is MallBots' HTTP API: JSON commands in, results and
// aggregates out. A write sends a command with emitters.Commands, waits for
// its result and for the state view to reach the new version (so a GET right
// after a write sees it), and answers {"id","version"}; a rejection answers
// {"code","message"} with the exact text of docs/domain.md. Reads come from the
// goka views over the state tables.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/views/state"
)

// CommandSender sends a command and waits for its result
// (emitters.Commands).
type CommandSender interface {
	SendAndWait(ctx context.Context, cmd schemas.Command) (schemas.CommandResult, error)
}

// Deps are what the API serves from.
type Deps struct {
	Commands CommandSender
	Views
	Sagas SagaReader
	// Search answers POST /api/search/orders and GET /api/search/orders/{id}; nil: 503.
	Search OrderSearch
	// History reads aggregates as the event log says they were (history.go).
	History HistoryReader
	// Projections reports the ClickHouse projections' lag for
	// GET /api/projections (projections.go); nil: 503.
	Projections ProjectionsReader
	// Analytics runs the cookbook's queries for GET /api/analytics/{name}
	// (analytics.go); nil: 503.
	Analytics AnalyticsBook
	// Notifications lists an order's notifications for its live stream
	// (live.go); nil: the stream has none.
	Notifications NotificationReader
	// Operations reports the operators' page (operations.go); nil: 503.
	Operations OperationsReader
	// Ready reports nil when every component is ready (for /readyz).
	Ready func() error
	// Timeout bounds how long a write waits for its result; default 5 s.
	Timeout time.Duration
	Log     *slog.Logger
	// Observability serves /metrics, times requests and traces them
	// (observe.go); the zero value does none of it.
	Observability
	// Auth verifies the bearer token every /api request must carry
	// (authn.go); nil: every /api request is refused with 401. What each
	// role may do is the rule table (access.go).
	Auth auth.Verifier
	// Tokens, when set, signs the token a kiosk's POST /api/customers
	// answers for the new customer; nil (an external issuer signs the
	// tokens): the answer carries none.
	Tokens TokenIssuer
	// CustomerTokenTTL is how long that token is valid; default
	// DefaultCustomerTokenTTL.
	CustomerTokenTTL time.Duration
}

type server struct{ Deps }

// New returns the API's handler.
func New(d Deps) http.Handler {
	if d.Timeout == 0 {
		d.Timeout = 5 * time.Second
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.CustomerTokenTTL == 0 {
		d.CustomerTokenTTL = DefaultCustomerTokenTTL
	}
	if d.Auth == nil {
		d.Log.Error("the HTTP API has no token verifier: every /api request is refused with 401")
	}
	s, mux := build(d)
	return s.middleware(s.authenticate(mux))
}

// RegisteredRoutes lists every /api route the API registers, as its
// access rule names it (access.go): the access matrix test calls each.
func RegisteredRoutes() []string {
	_, m := buildRoutes(Deps{Log: slog.New(slog.DiscardHandler)})
	return m.registered
}

func build(d Deps) (*server, *http.ServeMux) {
	s, m := buildRoutes(d)
	return s, m.mux
}

func buildRoutes(d Deps) (*server, *routes) {
	s := &server{d}
	raw := http.NewServeMux()
	raw.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "alive"}) })
	raw.HandleFunc("GET /readyz", s.readyz)
	routeAsyncAPI(raw)
	d.routeMetrics(raw)
	s.contractRoutes(raw) // public: the contract and its viewer
	mux := &routes{mux: raw, s: s}
	// One line per context: its routes live in <context>.go.
	s.storeRoutes(mux)
	s.sagaRoutes(mux)
	s.customerRoutes(mux)
	s.paymentRoutes(mux)
	s.basketRoutes(mux)
	s.orderRoutes(mux)
	s.depotRoutes(mux)
	s.searchRoutes(mux)
	s.historyRoutes(mux)
	s.projectionRoutes(mux)
	s.liveRoutes(mux)
	s.analyticsRoutes(mux)
	s.operationsRoutes(mux)
	raw.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "route_not_found", "no route "+r.Method+" "+r.URL.Path+": see the HTTP API in the README")
	})
	return s, mux
}

// Health serves only /healthz and /readyz (and /metrics when obs has a
// metrics handler): for an instance that runs other components but not
// the API. log (nil: slog.Default) gets what the API's log would.
func Health(ready func() error, obs Observability, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	s := &server{Deps{Ready: ready, Observability: obs, Log: log}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "alive"}) })
	mux.HandleFunc("GET /readyz", s.readyz)
	obs.routeMetrics(mux)
	return s.middleware(mux)
}

// middleware is the one chain every request goes through, outermost
// first: a span and a latency observation (observe), a debug line
// (logRequests), and a 500 instead of a dropped connection when the
// handler panics (recoverPanics).
func (s *server) middleware(h http.Handler) http.Handler {
	return s.observe(s.logRequests(s.recoverPanics(h)))
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	if err := s.Ready(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		next.ServeHTTP(rec, r)
		s.Log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}

// statusRecorder remembers the status a handler answered and whether it
// has begun to answer.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	started bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.started && code >= 200 { // 1xx are interim answers
		r.status, r.started = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.started = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// recoverPanics answers a handler's panic with 500 and the API's error
// body, and logs it at ERROR with its stack. Left to net/http, a panic
// drops the connection (the client sees no answer) and is written to the
// server's ErrorLog. A handler that had begun its answer cannot take it
// back: its connection is aborted (http.ErrAbortHandler, which net/http
// does not log again), so the client cannot mistake half an answer for a
// whole one. A handler that panics with http.ErrAbortHandler itself meant
// to abort: that is passed on as it is.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Log.Error("a handler panicked", "method", r.Method, "path", r.URL.Path, "route", r.Pattern, "panic", fmt.Sprint(v),
				"answered", rec.started, "stack", string(debug.Stack()))
			if rec.started {
				panic(http.ErrAbortHandler)
			}
			writeError(w, http.StatusInternalServerError, "internal",
				"the server failed while handling the request, and logged it; a write retried with the same Idempotency-Key is applied at most once")
		}()
		next.ServeHTTP(rec, r)
	})
}

// written is the body of a successful write.
type written struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	// Token is a new customer's token, for the kiosk that registered them.
	Token string `json:"token,omitempty"`
}

// awaitView waits until a view shows the version a command produced.
type awaitView func(ctx context.Context, id string, version int64) error

// existing builds a write route for an existing aggregate, the one the
// path's {id} names, whose view await reads back; build reads the body
// (reporting its own 400) and says whether to go on.
func existing[C schemas.Command](s *server, await awaitView, build func(w http.ResponseWriter, r *http.Request) (C, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cmd, ok := build(w, r)
		if !ok {
			return
		}
		cmd.CommandMetadata().AggregateID = r.PathValue("id")
		s.send(w, r, cmd, false, await)
	}
}

// bodiless builds a write route for an existing aggregate (existing) whose
// command, a new C, carries nothing but the path's {id}.
func bodiless[C any, P interface {
	*C
	schemas.Command
}](s *server, await awaitView) http.HandlerFunc {
	return existing(s, await, func(http.ResponseWriter, *http.Request) (P, bool) { return new(C), true })
}

// awaitOn is the awaitView of one aggregate's view.
func awaitOn[S any](v *state.View[S]) awaitView {
	return func(ctx context.Context, id string, version int64) error {
		_, err := v.AwaitVersion(ctx, id, version)
		return err
	}
}

// send runs one command for a write route: metadata from the request
// (If-Match → expected version; Idempotency-Key, claimed for this request,
// → command id), the result, read-your-writes on the view, and the
// response.
func (s *server) send(w http.ResponseWriter, r *http.Request, cmd schemas.Command, created bool, await awaitView) {
	s.sendThen(w, r, cmd, created, await, nil)
}

// sendThen is send with a last word on a successful answer (then may be
// nil).
func (s *server) sendThen(w http.ResponseWriter, r *http.Request, cmd schemas.Command, created bool, await awaitView, then func(*written)) {
	meta := cmd.CommandMetadata()
	if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.ParseInt(m, 10, 64)
		if err != nil || v < 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "If-Match must be the aggregate version you expect, a non-negative integer")
			return
		}
		meta.ExpectedVersion = &v
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.Timeout)
	defer cancel()
	if key := r.Header.Get(idempotencyHeader); key != "" {
		if !s.claim(ctx, w, r, key) {
			return
		}
		meta.CommandID = key
	}
	res, err := s.Commands.SendAndWait(ctx, cmd)
	if errors.Is(err, emitters.ErrNoResultYet) {
		writeJSON(w, http.StatusAccepted, map[string]string{"commandId": meta.CommandID})
		return
	}
	if err != nil {
		s.unsent(w, r, meta.CommandID, err)
		return
	}
	if !res.Accepted {
		writeError(w, statusOf(res.Kind), res.Code, res.Message)
		return
	}
	if err := await(ctx, res.AggregateID, res.Version); err != nil {
		// Applied, but this instance's view has not caught up in time.
		writeJSON(w, http.StatusAccepted, map[string]string{"commandId": meta.CommandID})
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	out := written{ID: res.AggregateID, Version: res.Version}
	if then != nil {
		then(&out)
	}
	writeJSON(w, status, out)
}

// unsent answers a command (or a claim) that Kafka did not take.
func (s *server) unsent(w http.ResponseWriter, r *http.Request, commandID string, err error) {
	if r.Context().Err() != nil {
		// The client went away (and with it the request's context): no one
		// reads an answer, and nothing is wrong with Kafka. The command may
		// still be applied; a retry with the same Idempotency-Key is safe.
		s.Log.Info("the client went away before its command was acknowledged", "command_id", commandID, "err", err)
		return
	}
	s.Log.Error("sending a command failed", "command_id", commandID, "err", err)
	writeError(w, http.StatusServiceUnavailable, "unavailable", "the command could not be sent to Kafka; retry with the same Idempotency-Key: "+err.Error())
}

func statusOf(kind string) int {
	switch kind {
	case "not_found":
		return http.StatusNotFound
	case "conflict":
		return http.StatusConflict
	case "unauthorized":
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// minVersion reads ?minVersion=N: a client that wrote through Kafka can ask
// a read to wait until the aggregate reaches the version its command made.
func minVersion(w http.ResponseWriter, r *http.Request) (int64, bool) {
	q := r.URL.Query().Get("minVersion")
	if q == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(q, 10, 64)
	if err != nil || v < 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "minVersion must be a non-negative integer")
		return 0, false
	}
	return v, true
}
