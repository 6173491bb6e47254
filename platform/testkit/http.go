package testkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// API is a JSON client of the HTTP API for tests.
type API struct {
	T    testing.TB
	Base string
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
	// Retries, when above 0, makes every write idempotent (an
	// Idempotency-Key unless the call names one) and sends it again, up to
	// Retries times, while the API answers 503: what a client does when the
	// API could not hand the command to Kafka in time. For the setup of a
	// test on a loaded machine, never for the request under test.
	Retries int
}

// As is the client with another bearer token ("": none).
func (a API) As(token string) API {
	a.Token = token
	return a
}

// Response is a decoded response.
type Response struct {
	Status int
	Body   map[string]any
	List   []map[string]any
	Raw    string
	// Event is the name of the event Stream read.
	Event string
}

// Do sends a request with a JSON body (a string is sent as is) and decodes
// the response; headers are name/value pairs.
func (a API) Do(method, path string, body any, headers ...string) Response {
	a.T.Helper()
	if a.Retries > 0 && method != http.MethodGet && !named(headers, "Idempotency-Key") {
		headers = append(headers, "Idempotency-Key", uuid.NewString())
	}
	for attempt := 0; ; attempt++ {
		r := a.do(method, path, body, headers)
		if r.Status != http.StatusServiceUnavailable || attempt >= a.Retries {
			return r
		}
		a.T.Logf("%s %s answered 503, sending it again (%d of %d): %s", method, path, attempt+1, a.Retries, r.Raw)
		time.Sleep(time.Duration(attempt+1) * 250 * time.Millisecond)
	}
}

func named(headers []string, name string) bool {
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == name {
			return true
		}
	}
	return false
}

func (a API) do(method, path string, body any, headers []string) Response {
	a.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.Base+path, rd)
	if err != nil {
		a.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		a.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Raw: string(raw)}
	if len(raw) > 0 && raw[0] == '[' {
		_ = json.Unmarshal(raw, &out.List)
	} else {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// Expect fails unless the response has the status.
func (r Response) Expect(t testing.TB, status int) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("want HTTP %d, got %d: %s", status, r.Status, r.Raw)
	}
	return r
}

// ExpectError fails unless the response is the error {code?, message}.
func (r Response) ExpectError(t testing.TB, status int, message string) {
	t.Helper()
	r.Expect(t, status)
	if r.Body["message"] != message {
		t.Fatalf("want message %q, got %s", message, r.Raw)
	}
	if code, _ := r.Body["code"].(string); code == "" {
		t.Fatalf("error without a code: %s", r.Raw)
	}
}

// S returns a string field.
func (r Response) S(field string) string {
	s, _ := r.Body[field].(string)
	return s
}

// N returns a number field.
func (r Response) N(field string) float64 {
	n, _ := r.Body[field].(float64)
	return n
}

// LogBuffer is a log sink that a server's goroutines and the test share.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Stream opens a server-sent event stream (GET path) and reads until the
// first event, then closes it: Raw is that event's data (its JSON decoded
// into Body or List) and Event its name. An answer that is not a stream
// (an error) is read whole, as Do reads it.
func (a API) Stream(path string) Response {
	a.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Base+path, nil)
	if err != nil {
		a.T.Fatal(err)
	}
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.T.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	out := Response{Status: resp.StatusCode}
	var raw []byte
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		raw, _ = io.ReadAll(resp.Body)
	} else if out.Event, raw, err = firstEvent(resp.Body); err != nil {
		a.T.Fatalf("GET %s: %v", path, err)
	}
	out.Raw = string(raw)
	if len(raw) > 0 && raw[0] == '[' {
		_ = json.Unmarshal(raw, &out.List)
	} else {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// firstEvent reads an event stream up to its first event.
func firstEvent(r io.Reader) (name string, data []byte, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: ")...)
		case line == "" && name != "":
			return name, data, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, fmt.Errorf("the stream ended before its first event: %w", err)
	}
	return "", nil, errors.New("the stream ended before its first event")
}
