package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
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

// readJSON reads the JSON body of a route that takes one: the request must
// say it is JSON (jsonContent), then decode reads it.
func readJSON(w http.ResponseWriter, r *http.Request, into any) bool {
	return jsonContent(w, r) && decode(w, r, into)
}

// jsonContent refuses with 415 a body that is not sent as JSON. A browser
// sends text/plain, application/x-www-form-urlencoded and multipart/form-data
// bodies, and bodies without a Content-Type, to another site without asking
// it first (no CORS preflight), so a page anywhere could make a visitor's
// browser post a command here: only application/json, which a browser
// never sends cross-site without the server's consent, is read. Its one
// parameter may be charset=utf-8.
func jsonContent(w http.ResponseWriter, r *http.Request) bool {
	sent := r.Header.Get("Content-Type")
	if sent == "" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
			"the request has no Content-Type: send the body as JSON with Content-Type: application/json")
		return false
	}
	media, params, err := mime.ParseMediaType(sent)
	charset, hasCharset := params["charset"]
	utf8Only := len(params) == 0 || len(params) == 1 && hasCharset && strings.EqualFold(charset, "utf-8")
	if err == nil && media == "application/json" && utf8Only {
		return true
	}
	writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
		fmt.Sprintf("Content-Type %s is not supported: send the body as JSON with Content-Type: application/json", strconv.Quote(sent)))
	return false
}

// readBody is a request body decode has read: the same bytes again, for
// the request's fingerprint (idempotency.go).
type readBody struct {
	*bytes.Reader
	raw []byte
}

func (readBody) Close() error { return nil }

// bodyRead returns the body decode read from r, nil if it read none.
func bodyRead(r *http.Request) []byte {
	if b, ok := r.Body.(readBody); ok {
		return b.raw
	}
	return nil
}

// decode reads a JSON body strictly: one object, no unknown fields, at most
// maxBody bytes, its text valid UTF-8. The error message names the problem
// for the client. It leaves the bytes it read in r.Body (readBody). It does
// not look at the Content-Type: readJSON does.
func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the request body exceeds %d bytes", tooBig.Limit))
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_request", "the request body could not be read: "+err.Error())
		return false
	}
	r.Body = readBody{bytes.NewReader(raw), raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(into)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("the body must hold one JSON object")
		}
	}
	if err == nil {
		if msg, bad := notUTF8(raw); bad {
			writeError(w, http.StatusBadRequest, "bad_request", msg)
			return false
		}
		return true
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
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
	case strings.HasPrefix(msg, "json: unknown field "):
		msg = "unknown field " + strings.TrimPrefix(msg, "json: unknown field ")
	default:
		msg = strings.TrimPrefix(msg, "json: ")
	}
	writeError(w, http.StatusBadRequest, "bad_request", msg)
	return false
}

// notUTF8 names the first string of a JSON text that encoding/json accepted
// whose text is not valid UTF-8: raw bytes that are not UTF-8, or a \u
// escape of half a UTF-16 surrogate pair. encoding/json turns either into
// U+FFFD without a word, so a name would be stored other than it was sent.
// jsontext (encoding/json/v2's) reads strings strictly and says where it
// stopped; the text is otherwise valid JSON (encoding/json read it), so
// where it stops is such a string. Duplicate names are encoding/json's
// business (the last wins), not refused here.
func notUTF8(raw []byte) (string, bool) {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u`)) {
		return "", false // nothing that could be invalid
	}
	dec := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowDuplicateNames(true))
	var err error
	for err == nil {
		_, err = dec.ReadToken()
	}
	var bad *jsontext.SyntacticError
	if !errors.As(err, &bad) {
		return "", false
	}
	what := fieldPath(bad.JSONPointer)
	if kind, n := dec.StackIndex(dec.StackDepth()); kind == '{' && n%2 == 0 {
		// The decoder stopped where an object expects a member's name.
		what = "a field name"
		if p := fieldPath(bad.JSONPointer); p != "" {
			what += " in " + p
		}
	}
	at := raw[bad.ByteOffset:]
	if len(at) >= 6 && at[0] == '\\' && at[1] == 'u' {
		return fmt.Sprintf("%s is not valid UTF-8: %s at byte %d is half of a UTF-16 surrogate pair", what, at[:6], bad.ByteOffset), true
	}
	return fmt.Sprintf("%s is not valid UTF-8 (byte %d)", what, bad.ByteOffset), true
}

// fieldPath writes a JSON pointer the way a client names a field:
// "items[1].productId".
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
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
