package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// maxBody bounds request bodies; a command is a few hundred bytes.
const maxBody = 1 << 20

// Money is an amount in minor units that reads and writes JSON numbers in
// currency units: 9.99 ↔ 999. Never a float: the digits are parsed exactly.
type Money int64

// MarshalJSON writes the amount as a decimal number with two places.
func (m Money) MarshalJSON() ([]byte, error) {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return []byte(fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)), nil
}

// moneyType lets decode name the field of a bad amount: encoding/json adds
// the field to an *UnmarshalTypeError, not to other errors.
var moneyType = reflect.TypeOf(Money(0))

// UnmarshalJSON reads a JSON number with at most two decimal places.
func (m *Money) UnmarshalJSON(b []byte) error {
	if err := m.parse(b); err != nil {
		return &json.UnmarshalTypeError{Value: err.Error(), Type: moneyType}
	}
	return nil
}

func (m *Money) parse(b []byte) error {
	s := string(b)
	if s == "null" || strings.HasPrefix(s, `"`) {
		return errors.New("an amount must be a JSON number such as 9.99")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if strings.ContainsAny(s, "eE") {
		return fmt.Errorf("an amount must be written as a plain decimal such as 9.99, not %s", b)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return fmt.Errorf("an amount has at most 2 decimal places, got %s", b)
	}
	frac = (frac + "00")[:2]
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<62)/100 {
		return fmt.Errorf("%s is not a valid amount", b)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a valid amount", b)
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	*m = Money(v)
	return nil
}

// apiError is the body of every error response.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Code: code, Message: message})
}

// decode reads a JSON body strictly: one object, no unknown fields, at most
// maxBody bytes. The error message names the problem for the client.
func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(into)
	if err == nil {
		// Anything after the object is an error; reading it may also hit
		// the size limit, which must stay a 413.
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("the body must hold one JSON object")
			var tooBig *http.MaxBytesError
			if errors.As(e, &tooBig) {
				err = e
			}
		}
	}
	if err == nil {
		return true
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	msg := err.Error()
	switch {
	case errors.Is(err, io.EOF):
		msg = "the request body is empty: send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "malformed JSON: the body ends before the object does"
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Type == moneyType:
		msg = fmt.Sprintf("field %q: %s", typ.Field, typ.Value)
	case errors.As(err, &typ) && typ.Field == "":
		msg = fmt.Sprintf("the body must be a JSON object, not a JSON %s", typ.Value)
	case errors.As(err, &typ):
		msg = fmt.Sprintf("field %q must be a %s, not a JSON %s", typ.Field, jsonKind(typ.Type), typ.Value)
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the request body exceeds %d bytes", tooBig.Limit))
		return false
	case strings.HasPrefix(msg, "json: unknown field "):
		msg = "unknown field " + strings.TrimPrefix(msg, "json: unknown field ")
	default:
		msg = strings.TrimPrefix(msg, "json: ")
	}
	writeError(w, http.StatusBadRequest, "bad_request", msg)
	return false
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}
