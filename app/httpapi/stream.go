package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Server-sent events: the console's live pages (the order it watches, the
// operators' page) read a text/event-stream that the server writes when
// what it reports changes. A browser's EventSource cannot send the bearer
// token, so the console reads the stream with fetch; any SSE client that
// sets headers works the same.

// streamLimit ends a stream after this long; the client reconnects. It
// bounds what a forgotten tab holds on the server.
const streamLimit = 30 * time.Minute

// streamPing is how often an idle stream sends a comment, so that proxies
// and the client see it alive.
const streamPing = 15 * time.Second

// stream answers with an event stream: every tick it asks next for the
// current report and sends it as an event named event when its JSON
// differs from the last one sent (the first is always sent). next's error
// is sent as an "error" event with {"code","message"} and the stream goes
// on. It returns when the client goes away or after streamLimit.
func (s *server) stream(w http.ResponseWriter, r *http.Request, event string, tick time.Duration, next func(context.Context) (any, error)) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx, cancel := context.WithTimeout(r.Context(), streamLimit)
	defer cancel()
	var last []byte
	lastWrite := time.Now()
	send := func(name string, data []byte) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data); err != nil {
			return false
		}
		lastWrite = time.Now()
		return rc.Flush() == nil
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		v, err := next(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			b, _ := json.Marshal(apiError{Code: "unavailable", Message: err.Error()})
			if !send("error", b) {
				return
			}
			last = nil
		default:
			b, err := json.Marshal(v)
			if err != nil {
				s.Log.Error("an event of a stream cannot be encoded", "event", event, "err", err)
				return
			}
			if !bytes.Equal(b, last) {
				if !send(event, b) {
					return
				}
				last = b
			}
		}
		if time.Since(lastWrite) >= streamPing {
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			lastWrite = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
