package registry

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A handler that panics all the same (the parser's panics are recovered where
// it is called, see TestUnparseableSchemasAreRefusedAsInvalid) is answered
// with HTTP 500 and the registry's error body when it has not begun its
// answer, the connection is dropped when it has, and either way the panic is
// logged at ERROR with its stack. A handler's own http.ErrAbortHandler passes
// through unlogged: it is the handler's way to drop the connection.
func TestAPanickingHandlerIsAnsweredAndLoggedAtError(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		aborted bool // the panic reaches net/http as http.ErrAbortHandler
		logged  bool
	}{
		{
			name:    "a panic before the answer",
			handler: func(http.ResponseWriter, *http.Request) { panic("boom") },
			logged:  true,
		},
		{
			name: "a panic once the answer has begun",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(`{"id":`))
				panic("boom")
			},
			aborted: true,
			logged:  true,
		},
		{
			name:    "the handler's own abort",
			handler: func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) },
			aborted: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs := &logBuffer{}
			r := &Registry{log: slog.New(slog.NewTextHandler(logs, nil))}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/subjects/a/versions", strings.NewReader("{}"))
			reached := servePanicking(r.recoverPanics(c.handler), rec, req)

			if c.aborted != (reached == http.ErrAbortHandler) || !c.aborted && reached != nil {
				t.Fatalf("the panic reaching net/http is %v; want http.ErrAbortHandler: %v", reached, c.aborted)
			}
			if !c.aborted {
				var body struct {
					Code    int    `json:"error_code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError ||
					body.Code != http.StatusInternalServerError || !strings.Contains(body.Message, "boom") {
					t.Fatalf("answer: HTTP %d %q; want 500 with the registry's error body naming the panic", rec.Code, rec.Body)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/vnd.schemaregistry.v1+json" {
					t.Fatalf("answer's Content-Type is %q, want the registry's", ct)
				}
			}
			got := logs.String()
			isLogged := strings.Contains(got, "level=ERROR") && strings.Contains(got, "panic=boom") && strings.Contains(got, "stack=")
			if isLogged != c.logged || !c.logged && got != "" {
				t.Fatalf("logged %q; want the panic and its stack at ERROR: %v", got, c.logged)
			}
		})
	}
}

// servePanicking serves req with h and returns what h panicked with, if
// anything, as net/http would receive it.
func servePanicking(h http.Handler, w http.ResponseWriter, req *http.Request) (p any) {
	defer func() { p = recover() }()
	h.ServeHTTP(w, req)
	return nil
}

// What net/http itself reports about the server started by Listen, a
// handler's panic that escaped recoverPanics among others, is logged at
// ERROR, not at INFO where the log package's default bridge to slog files
// it.
func TestListenLogsTheServersErrorsAtError(t *testing.T) {
	logs := &logBuffer{}
	r := &Registry{
		log:     slog.New(slog.NewTextHandler(logs, nil)),
		handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("escaped") }),
	}
	url, err := r.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.srv.Close() })
	if resp, err := http.Get(url + "/subjects"); err == nil {
		resp.Body.Close()
		t.Fatalf("a request whose handler panicked got HTTP %d, want a dropped connection", resp.StatusCode)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "escaped") {
			if !strings.Contains(line, "level=ERROR") {
				t.Fatalf("net/http's report of the panic is logged as %q, want level=ERROR", line)
			}
			return
		}
	}
	t.Fatalf("net/http's report of the panic is not in the registry's log: %q", logs.String())
}

// logBuffer collects log output from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
