package registry

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
)

// maxBody bounds request bodies. A schema must fit in one record, and a
// broker's default message.max.bytes is about 1 MiB.
const maxBody = 1 << 20

// routes puts this package's handlers in front of srfake's: every request
// that changes state is either handled here (so that it is checked and
// persisted) or refused, and only reads and lookups reach srfake directly.
func (r *Registry) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", r.handleRegister)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions", r.handleCompatibility)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions/{version}", r.handleCompatibility)
	mux.HandleFunc("PUT /config", r.writer(r.handlePutConfig))
	mux.HandleFunc("PUT /config/{subject}", r.writer(r.handlePutConfig))
	mux.HandleFunc("PUT /mode", r.writer(r.handlePutMode))
	mux.HandleFunc("PUT /mode/{subject}", r.writer(r.handlePutMode))
	mux.HandleFunc("GET /schemas/types", handleTypes)
	mux.HandleFunc("DELETE /subjects/{subject}", r.refuseDelete)
	mux.HandleFunc("DELETE /subjects/{subject}/versions/{version}", r.refuseDelete)

	// Reads, the "is this schema registered" lookup, and resets of settings
	// this registry never lets anyone change are srfake's to answer.
	fake := confluentErrors(r.fake.Handler())
	mux.Handle("GET /", fake)
	mux.Handle("POST /subjects/{subject}", fake)
	mux.Handle("DELETE /config/{subject}", fake)
	mux.Handle("DELETE /mode", fake)
	mux.Handle("DELETE /mode/{subject}", fake)

	mux.HandleFunc("/", r.refuseOther)
	return mux
}

// writer lets a request through only from one of the WithWriters users
// (when there are any).
func (r *Registry) writer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if r.cfg.writers != nil && !r.isWriter(req) {
			r.unauthorized(w, req)
			return
		}
		h(w, req)
	}
}

// errUnauthorized is register's answer to a new schema from someone who
// is not a writer.
var errUnauthorized = errors.New("registry: not a writer")

func (r *Registry) unauthorized(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("WWW-Authenticate", `Basic realm="mallbots schema registry"`)
	r.refuse(w, &apiError{status: http.StatusUnauthorized, code: 40101,
		msg: fmt.Sprintf("Unauthorized: %s %s needs the credentials of a principal allowed to change schemas (HTTP basic auth)", req.Method, req.URL.Path)})
}

func (r *Registry) isWriter(req *http.Request) bool {
	user, pass, ok := req.BasicAuth()
	if !ok {
		return false
	}
	want, known := r.cfg.writers[user]
	if !known {
		want = "\x00" // compare anyway: the time does not tell known users apart
	}
	return subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1 && known
}

// confluentErrors gives the errors net/http writes for srfake (its mux's "404
// page not found" for a path it does not serve, in plain text) the body a
// Confluent registry gives them, {"error_code":404,"message":"HTTP 404 Not
// Found: GET /nowhere"}, so that every error the API answers is one its
// clients can read. srfake's own errors are in that form already.
func confluentErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		next.ServeHTTP(&plainErrorWriter{ResponseWriter: w, req: req}, req)
	})
}

// plainErrorWriter replaces a plain-text error answer with the registry's
// error body and drops the text that follows it.
type plainErrorWriter struct {
	http.ResponseWriter
	req      *http.Request
	replaced bool
}

func (w *plainErrorWriter) WriteHeader(status int) {
	if status < http.StatusBadRequest || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	w.Header().Del("X-Content-Type-Options")
	writeError(w.ResponseWriter, &apiError{status: status, code: status,
		msg: fmt.Sprintf("HTTP %d %s: %s %s", status, http.StatusText(status), w.req.Method, w.req.URL.Path)})
}

func (w *plainErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *plainErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// registerRequest is the body of POST /subjects/{subject}/versions. ID and
// Version are only sent by clients registering in IMPORT mode.
type registerRequest struct {
	sr.Schema
	ID      int `json:"id"`
	Version int `json:"version"`
}

func (r *Registry) handleRegister(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	var body registerRequest
	if err := decodeBody(w, req, &body); err != nil {
		writeError(w, errInvalidSchema(err))
		return
	}
	if body.ID > 0 || body.Version > 0 {
		r.refuse(w, errNotPermitted("Registering with an explicit id or version (IMPORT mode) is not supported by the embedded registry: it assigns ids itself (subject %q)", subject))
		return
	}
	// A schema the subject already has is answered to anyone: nothing
	// changes, and every instance and tool re-registers the contract at
	// its start. A new one needs a writer's credentials (WithWriters).
	mayWrite := r.cfg.writers == nil || r.isWriter(req)
	id, err := r.register(req.Context(), subject, body.Schema, mayWrite)
	if errors.Is(err, errUnauthorized) {
		r.unauthorized(w, req)
		return
	}
	if err != nil {
		r.refuse(w, err)
		return
	}
	respond(w, http.StatusOK, map[string]int{"id": id})
}

func (r *Registry) handleCompatibility(w http.ResponseWriter, req *http.Request) {
	var body sr.Schema
	if err := decodeBody(w, req, &body); err != nil {
		writeError(w, errInvalidSchema(err))
		return
	}
	msgs, err := r.compatibility(req.PathValue("subject"), req.PathValue("version"), body)
	if err != nil {
		r.logFailure(err) // a question refused is not logged; a failure is
		writeError(w, err)
		return
	}
	respond(w, http.StatusOK, sr.CheckCompatibilityResult{Is: len(msgs) == 0, Messages: msgs})
}

// handleTypes lists the schema types the registry accepts: AVRO only, the
// one type it can check compatibility of. srfake has no such route.
func handleTypes(w http.ResponseWriter, _ *http.Request) {
	respond(w, http.StatusOK, []sr.SchemaType{sr.TypeAvro})
}

// handlePutConfig accepts BACKWARD_TRANSITIVE, which every subject has
// already, and refuses any other level: the architecture fixes the level, and
// a change that is not persisted would silently revert at restart. It does not
// pass the request on to srfake, which would create an empty subject for it.
func (r *Registry) handlePutConfig(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Compatibility sr.CompatibilityLevel `json:"compatibility"`
	}
	if err := decodeBody(w, req, &body); err != nil {
		writeError(w, &apiError{status: http.StatusUnprocessableEntity, code: sr.ErrInvalidCompatibilityLevel.Code, msg: "Invalid compatibility level: " + err.Error(), err: err})
		return
	}
	if body.Compatibility != sr.CompatBackwardTransitive {
		r.refuse(w, errNotPermitted("The embedded registry enforces %s on every subject; compatibility %s cannot be set (%s)",
			sr.CompatBackwardTransitive, body.Compatibility, scope(req)))
		return
	}
	respond(w, http.StatusOK, map[string]sr.CompatibilityLevel{"compatibility": body.Compatibility})
}

// handlePutMode accepts READWRITE, the mode of every subject, and refuses the
// others, which srfake would report but not enforce.
func (r *Registry) handlePutMode(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Mode sr.Mode `json:"mode"`
	}
	if err := decodeBody(w, req, &body); err != nil {
		writeError(w, &apiError{status: http.StatusUnprocessableEntity, code: sr.ErrInvalidMode.Code, msg: "Invalid mode: " + err.Error(), err: err})
		return
	}
	if body.Mode != sr.ModeReadWrite {
		r.refuse(w, errNotPermitted("The embedded registry is always %s; mode %s cannot be set (%s)", sr.ModeReadWrite, body.Mode, scope(req)))
		return
	}
	respond(w, http.StatusOK, map[string]sr.Mode{"mode": body.Mode})
}

// refuseDelete refuses every delete: events written with a schema carry its id
// for as long as they are kept, so a schema must stay readable forever.
func (r *Registry) refuseDelete(w http.ResponseWriter, req *http.Request) {
	r.refuse(w, errNotPermitted("Deleting schemas is not supported by the embedded registry: stored events refer to them by id (subject %q)", req.PathValue("subject")))
}

// refuseOther answers what no route above allows: writes under a schema
// context (srfake would apply them unchecked and unpersisted) and methods the
// API does not have.
func (r *Registry) refuseOther(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/contexts/") {
		r.refuse(w, errNotPermitted("Schema contexts are read-only in the embedded registry: %s %s", req.Method, req.URL.Path))
		return
	}
	writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: http.StatusMethodNotAllowed,
		msg: fmt.Sprintf("HTTP 405 Method Not Allowed: %s %s", req.Method, req.URL.Path)})
}

// refuse logs a refused or failed request and answers it.
func (r *Registry) refuse(w http.ResponseWriter, err error) {
	if !r.logFailure(err) {
		r.log.Info("schema registry request refused", "err", err)
	}
	writeError(w, err)
}

// logFailure logs err at ERROR when it asks for someone to look into it rather
// than being the client's mistake: a failure of the registry (HTTP 5xx), or a
// schema the Avro parser panicked on, which is refused as invalid but is a bug
// in the parser. It reports whether it logged.
func (r *Registry) logFailure(err error) bool {
	var ae *apiError
	var pp *parserPanic
	switch {
	case errors.As(err, &pp):
		r.log.Error("schema registry refused a schema the Avro parser panicked on", "err", err, "stack", string(pp.stack))
	case errors.As(err, &ae) && ae.status < http.StatusInternalServerError:
		return false
	default:
		r.log.Error("schema registry request failed", "err", err)
	}
	return true
}

// recoverPanics answers a request whose handler panicked with HTTP 500 and
// the registry's error body, and logs the panic and its stack at ERROR.
// Without it net/http would drop the connection and write the panic to the
// server's ErrorLog, and the client would not learn what went wrong. The
// writing token and catMu are released by the handlers' own defers as the
// panic unwinds, so the registry keeps serving.
//
// When the handler had begun its answer, no error body can follow it: the
// connection is dropped with http.ErrAbortHandler, which net/http does not log
// again. An http.ErrAbortHandler of the handler's own passes through.
func (r *Registry) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ww := &watchedWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			r.log.Error("schema registry handler panicked", "method", req.Method, "path", req.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if ww.started {
				panic(http.ErrAbortHandler)
			}
			writeError(w, &apiError{status: http.StatusInternalServerError, code: http.StatusInternalServerError,
				msg: fmt.Sprintf("Internal Server Error: the schema registry failed on %s %s: %v", req.Method, req.URL.Path, p)})
		}()
		next.ServeHTTP(ww, req)
	})
}

// watchedWriter notes whether a handler has begun its answer.
type watchedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *watchedWriter) WriteHeader(status int) {
	w.started = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *watchedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// scope names what a config or mode request is about.
func scope(req *http.Request) string {
	if s := req.PathValue("subject"); s != "" {
		return fmt.Sprintf("subject %q", s)
	}
	return "global"
}

// decodeBody reads one JSON object into v. Unknown fields are ignored, as
// Confluent's registry ignores them, so newer clients keep working.
func decodeBody(w http.ResponseWriter, req *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode request body: %w", err)
	}
	if err := dec.Decode(&json.RawMessage{}); err != io.EOF {
		return fmt.Errorf("decode request body: more than one JSON value")
	}
	return nil
}
