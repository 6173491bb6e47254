package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
)

// apiError is an error the REST API reports with a Confluent-style body:
// {"error_code": code, "message": msg} with HTTP status status. Clients such
// as franz-go's sr.Client surface code as ResponseError.ErrorCode.
type apiError struct {
	status int
	code   int
	msg    string
	err    error // the cause, for errors.Is/As and logs
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

func errIncompatible(subject string, msgs []string) *apiError {
	return &apiError{
		status: http.StatusConflict,
		code:   sr.ErrIncompatibleSchema.Code,
		msg: fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q (compatibility %s): %s",
			subject, sr.CompatBackwardTransitive, strings.Join(msgs, "; ")),
	}
}

func errInvalidSchema(err error) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: sr.ErrInvalidSchema.Code, msg: "Invalid schema: " + err.Error(), err: err}
}

func errNotPermitted(format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: sr.ErrOperationNotPermitted.Code, msg: fmt.Sprintf(format, args...)}
}

func errSubjectNotFound(subject string) *apiError {
	return &apiError{status: http.StatusNotFound, code: sr.ErrSubjectNotFound.Code, msg: fmt.Sprintf("Subject %q not found", subject)}
}

func errVersionNotFound(subject string, version int) *apiError {
	return &apiError{status: http.StatusNotFound, code: sr.ErrVersionNotFound.Code, msg: fmt.Sprintf("Version %d not found for subject %q", version, subject)}
}

func errInvalidVersion(v string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: sr.ErrInvalidVersion.Code,
		msg: fmt.Sprintf("Version %q is invalid: give a number from 1 or \"latest\"", v)}
}

func errStore(err error) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: sr.ErrStoreError.Code, msg: "Error in the schema store: " + err.Error(), err: err}
}

// writeError answers err: an apiError as itself, anything else as a store
// error (HTTP 500, code 50001).
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errStore(err)
	}
	respond(w, ae.status, map[string]any{"error_code": ae.code, "message": ae.msg})
}

// respond writes body as JSON with the registry media type.
func respond(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client is gone if this fails; nothing is left to tell
}
