package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// counters are what the summary reports.
type counters struct {
	sent, accepted, rejected, unknown                  atomic.Int64
	started, finished                                  atomic.Int64
	created, completed, orderRejected, canceled, stuck atomic.Int64
	expectedRejections                                 atomic.Int64
}

type client struct {
	base  string
	token string
	http  *http.Client
	c     *counters
}

type reply struct {
	status int
	body   map[string]any
	raw    string
}

func (r reply) s(k string) string { v, _ := r.body[k].(string); return v }

// write sends a command request and counts it: 2xx accepted, 4xx
// rejected; anything else is unknown. A request that fails in transport or
// gets no result in time (202, 5xx) is sent again with the same
// Idempotency-Key, as a careful client does: the command is applied once.
func (cl *client) write(ctx context.Context, method, path string, body any) (reply, error) {
	key := uuid.NewString()
	var r reply
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		r, err = cl.do(ctx, method, path, body, "Idempotency-Key", key)
		if err == nil && r.status != http.StatusAccepted && r.status < 500 {
			break
		}
	}
	if err != nil {
		return r, err
	}
	cl.c.sent.Add(1)
	switch {
	case r.status == http.StatusOK || r.status == http.StatusCreated:
		cl.c.accepted.Add(1)
	case r.status >= 400 && r.status < 500:
		cl.c.rejected.Add(1)
	default:
		cl.c.unknown.Add(1)
	}
	return r, nil
}

func (cl *client) read(ctx context.Context, path string) (reply, error) {
	return cl.do(ctx, http.MethodGet, path, nil)
}

func (cl *client) do(ctx context.Context, method, path string, body any, headers ...string) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, cl.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

// must writes and fails unless the reply has the status.
func (cl *client) must(ctx context.Context, method, path string, body any, status int, what string) (reply, error) {
	r, err := cl.write(ctx, method, path, body)
	if err != nil {
		return r, err
	}
	if r.status != status {
		return r, fmt.Errorf("%s: HTTP %d %s", what, r.status, r.raw)
	}
	return r, nil
}

// waitFor polls a read until cond holds or the deadline passes.
func (cl *client) waitFor(ctx context.Context, path string, within time.Duration, cond func(reply) bool) (reply, error) {
	deadline := time.Now().Add(within)
	delay := 20 * time.Millisecond
	for {
		r, err := cl.read(ctx, path)
		if err == nil && cond(r) {
			return r, nil
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("GET %s: not as expected within %s (last: %d %s)", path, within, r.status, r.raw)
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 250*time.Millisecond {
			delay *= 2
		}
	}
}
