package httpapi

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
)

// serveWithPanics serves handler through the API's middleware, with the
// API's log and net/http's ErrorLog each in a buffer.
func serveWithPanics(t *testing.T, handler http.HandlerFunc) (url string, logs *testkit.LogBuffer, errorLog *testkit.LogBuffer) {
	logs, errorLog = new(testkit.LogBuffer), new(testkit.LogBuffer)
	s := &server{Deps{Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}}
	srv := httptest.NewUnstartedServer(s.middleware(handler))
	srv.Config.ErrorLog = log.New(errorLog, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, logs, errorLog
}

// A handler that panics after it began its answer cannot answer 500: the
// connection is cut, so the client cannot take half an answer for a whole
// one, and the panic is logged at ERROR once, by the API.
func TestAPanicMidAnswerCutsTheConnectionAndIsAnError(t *testing.T) {
	url, logs, errorLog := serveWithPanics(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"items":[`))
		_ = http.NewResponseController(w).Flush() // through the middleware's writers (Unwrap)
		panic("the list broke")
	})
	resp, err := http.Get(url + "/api/stores")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("the client read a whole answer from a handler that panicked mid-answer")
	}
	if out := logs.String(); !strings.Contains(out, `level=ERROR msg="a handler panicked"`) || !strings.Contains(out, `panic="the list broke"`) || !strings.Contains(out, "answered=true") {
		t.Errorf("the panic was not logged as an error:\n%s", out)
	}
	if errorLog.String() != "" {
		t.Errorf("net/http logged it too:\n%s", errorLog)
	}
}

// http.ErrAbortHandler is how a handler means to cut its connection: not a
// failure to log.
func TestAHandlerThatAbortsOnPurposeIsNotLogged(t *testing.T) {
	url, logs, errorLog := serveWithPanics(t, func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	if resp, err := http.Get(url + "/api/stores"); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d; the handler aborted", resp.StatusCode)
	}
	if bytes.Contains([]byte(logs.String()), []byte("panicked")) || errorLog.String() != "" {
		t.Errorf("an abort on purpose was logged:\n%s\n%s", logs, errorLog)
	}
}

// The observed status of a request whose handler panicked is the 500 it
// was answered with.
func TestAPanicIsObservedAsA500(t *testing.T) {
	var status int
	s := &server{Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Observability: Observability{ObserveRequest: func(_ string, st int, _ time.Duration) { status = st }}}}
	rec := httptest.NewRecorder()
	s.middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/stores", nil))
	if rec.Code != http.StatusInternalServerError || status != http.StatusInternalServerError {
		t.Errorf("answered %d, observed %d; want 500 both", rec.Code, status)
	}
}
