package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMoneyReadsAJSONNumberInCurrencyUnits(t *testing.T) {
	for _, tc := range []struct {
		json string
		want Money
	}{
		{"9.99", 999},
		{"10", 1000},
		{"0.5", 50},
		{"0.05", 5},
		{"-0.01", -1},
		{"-1.5", -150},
		{"0", 0},
		{"1234567.89", 123456789},
	} {
		var m Money
		if err := json.Unmarshal([]byte(tc.json), &m); err != nil {
			t.Errorf("%s: %v, want %d", tc.json, err, tc.want)
			continue
		}
		if m != tc.want {
			t.Errorf("%s reads as %d, want %d", tc.json, m, tc.want)
		}
	}
}

func TestMoneyRefusesWhatIsNotAPlainAmount(t *testing.T) {
	for _, tc := range []struct {
		json string
		// says is part of the message a client sees.
		says string
	}{
		{"1e2", "plain decimal such as 9.99"},
		{"1.5E1", "plain decimal such as 9.99"},
		{`"9.99"`, "must be a JSON number"},
		{"null", "must be a JSON number"},
		{"1.234", "at most 2 decimal places, got 1.234"},
		{"-0.001", "at most 2 decimal places"},
		{"92233720368547758.07", "not a valid amount"},
	} {
		var m Money
		err := json.Unmarshal([]byte(tc.json), &m)
		if err == nil {
			t.Errorf("%s reads as %d, want it refused", tc.json, m)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s is refused with %q, want it to say %q", tc.json, err, tc.says)
		}
	}
}

func TestMoneyWritesTwoDecimalPlaces(t *testing.T) {
	for _, tc := range []struct {
		m    Money
		want string
	}{
		{999, "9.99"},
		{5, "0.05"},
		{-150, "-1.50"},
		{-5, "-0.05"},
		{0, "0.00"},
		{1000, "10.00"},
	} {
		b, err := json.Marshal(tc.m)
		if err != nil {
			t.Errorf("marshal %d: %v", tc.m, err)
			continue
		}
		if string(b) != tc.want {
			t.Errorf("%d writes as %s, want %s", tc.m, b, tc.want)
		}
	}
}

func TestMoneyRoundTrips(t *testing.T) {
	for _, m := range []Money{0, 1, -1, 9, 10, 99, 100, 101, -999, 123456789, (1 << 62) / 100 * 100} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal %d: %v", m, err)
		}
		var back Money
		if err := json.Unmarshal(b, &back); err != nil || back != m {
			t.Errorf("%d → %s → %d (%v)", m, b, back, err)
		}
	}
}

// command stands for the body of a write request.
type command struct {
	Name  string `json:"name"`
	Price Money  `json:"price"`
}

// post sends body through decode into a command, as a handler does, and
// returns the response: 204 when decode accepted the body.
func post(t *testing.T, body string, into *command) *httptest.ResponseRecorder {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if decode(w, r, into) {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/stores", strings.NewReader(body)))
	return rec
}

func TestDecodeAcceptsOneObjectOfKnownFields(t *testing.T) {
	var got command
	rec := post(t, " {\"name\":\"Waldorf\",\"price\":9.99}\n", &got)

	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d, body %s; want the body accepted", rec.Code, rec.Body)
	}
	if want := (command{Name: "Waldorf", Price: 999}); got != want {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
}

// bodyOf returns a body of exactly n bytes holding one valid command.
func bodyOf(n int) string {
	const head, tail = `{"name":"`, `"}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

func TestDecodeRefusesBadBodiesSayingWhy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
		says   string
	}{
		{"malformed JSON", `{"name": "x",}`, 400, "bad_request", "malformed JSON at byte 14"},
		{"an unknown field", `{"name":"x","colour":"red"}`, 400, "bad_request", `unknown field "colour"`},
		{"a wrong type", `{"name":5}`, 400, "bad_request", `field "name" must be a string, not a JSON number`},
		{"an amount as a string", `{"price":"9.99"}`, 400, "bad_request", "an amount must be a JSON number"},
		{"an amount with 3 decimals", `{"price":1.234}`, 400, "bad_request", "at most 2 decimal places"},
		{"an empty body", ``, 400, "bad_request", "the request body is empty"},
		{"two objects", `{"name":"a"}{"name":"b"}`, 400, "bad_request", "one JSON object"},
		{"an object and a stray bracket", `{"name":"a"}]`, 400, "bad_request", "one JSON object"},
		{"an array", `[{"name":"a"}]`, 400, "bad_request", "not a JSON array"},
		{"a body over 1 MiB", bodyOf(maxBody + 1), 413, "body_too_large", "exceeds 1048576 bytes"},
		{"an object padded past 1 MiB", `{"name":"a"}` + strings.Repeat(" ", maxBody), 413, "body_too_large", "exceeds 1048576 bytes"},
		{"a truncated object", `{"name":"x"`, 400, "bad_request", "the body ends before the object does"},
		{"an array is not an object", `[{"name":"a"}]`, 400, "bad_request", "the body must be a JSON object"},
		{"a bad amount names its field", `{"price":"9.99"}`, 400, "bad_request", `field "price"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(t, tc.body, new(command))

			if rec.Code != tc.status {
				t.Fatalf("status %d, body %s; want %d", rec.Code, rec.Body, tc.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body %q is not an API error: %v", rec.Body, err)
			}
			if e.Code != tc.code || !strings.Contains(e.Message, tc.says) {
				t.Errorf("answered %+v, want code %q and a message saying %q", e, tc.code, tc.says)
			}
		})
	}
}

func TestDecodeAcceptsABodyOfExactly1MiB(t *testing.T) {
	if rec := post(t, bodyOf(maxBody), new(command)); rec.Code != http.StatusNoContent {
		t.Fatalf("a body of exactly %d bytes: status %d, body %s; want it accepted", maxBody, rec.Code, rec.Body)
	}
}

// order stands for a body with a nested list, as a basket's or a search's.
type order struct {
	Name  string `json:"name"`
	Items []struct {
		ProductID string `json:"productId"`
	} `json:"items"`
}

// decodeOrder sends body through decode into an order and returns the
// response (204 when decode accepted it) and what it decoded.
func decodeOrder(body string) (*httptest.ResponseRecorder, order) {
	var into order
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if decode(w, r, &into) {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/any", strings.NewReader(body)))
	return rec, into
}

// encoding/json replaces text that is not UTF-8 with U+FFFD without a
// word; decode refuses it, naming the field, so that a name is stored as it
// was sent or not at all.
func TestDecodeRefusesTextThatIsNotUTF8NamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name, body, says string
	}{
		{"a byte that is not UTF-8", "{\"name\":\"Wal\xffdorf\"}", "name is not valid UTF-8 (byte 12)"},
		{"a truncated sequence", "{\"name\":\"caf\xc3\"}", "name is not valid UTF-8 (byte 12)"},
		{"an encoded surrogate", "{\"name\":\"\xed\xa0\x80\"}", "name is not valid UTF-8 (byte 9)"},
		{"a lone high surrogate escape", `{"name":"\ud800"}`, `name is not valid UTF-8: \ud800 at byte 9 is half of a UTF-16 surrogate pair`},
		{"a lone low surrogate escape", `{"name":"x\udc00"}`, `name is not valid UTF-8: \udc00 at byte 10 is half of a UTF-16 surrogate pair`},
		{"a high surrogate before a letter", `{"name":"\ud83d\u0041"}`, `name is not valid UTF-8: \ud83d at byte 9`},
		{"in a list, named by its place", `{"items":[{"productId":"p1"},{"productId":"p\ud800"}]}`, `items[1].productId is not valid UTF-8`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := decodeOrder(tc.body)

			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, body %s; want 400", rec.Code, rec.Body)
			}
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body %q is not an API error: %v", rec.Body, err)
			}
			if e.Code != "bad_request" || !strings.Contains(e.Message, tc.says) {
				t.Errorf("answered %+v, want bad_request saying %q", e, tc.says)
			}
		})
	}
}

func TestDecodeAcceptsEveryCharacterHoweverItIsWritten(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"UTF-8 as it is", `{"name":"Café 😀"}`, "Café 😀"},
		{"escaped, a surrogate pair included", `{"name":"Caf\u00e9 \ud83d\ude00"}`, "Café 😀"},
		{"U+FFFD sent on purpose", `{"name":"\ufffd�"}`, "\ufffd\ufffd"},
		{"a backslash before a u is no escape", `{"name":"\\ud800"}`, `\ud800`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, got := decodeOrder(tc.body)
			if rec.Code != http.StatusNoContent {
				t.Fatalf("status %d, body %s; want it accepted", rec.Code, rec.Body)
			}
			if got.Name != tc.want {
				t.Errorf("name %q, want %q", got.Name, tc.want)
			}
		})
	}
}

// A JSON route reads only a body sent as application/json: a browser sends
// the other types (and a body with none) to any site without a preflight.
func TestReadJSONReadsOnlyJSON(t *testing.T) {
	for _, tc := range []struct {
		contentType string // "" sends none
		accepted    bool
		says        string
	}{
		{"application/json", true, ""},
		{"application/json; charset=utf-8", true, ""},
		{"Application/JSON; Charset=UTF-8", true, ""},
		{"", false, "the request has no Content-Type: send the body as JSON with Content-Type: application/json"},
		{"text/plain", false, `Content-Type "text/plain" is not supported: send the body as JSON with Content-Type: application/json`},
		{"text/plain; charset=utf-8", false, `Content-Type "text/plain; charset=utf-8" is not supported`},
		{"application/x-www-form-urlencoded", false, `Content-Type "application/x-www-form-urlencoded" is not supported`},
		{"multipart/form-data; boundary=x", false, `"multipart/form-data; boundary=x" is not supported`},
		{"application/json; charset=iso-8859-1", false, `"application/json; charset=iso-8859-1" is not supported`},
		{"application/json; profile=x", false, `"application/json; profile=x" is not supported`},
		{"application/jsonp", false, `"application/jsonp" is not supported`},
		{"application/json;;", false, `"application/json;;" is not supported`},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			var got command
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if readJSON(w, r, &got) {
					w.WriteHeader(http.StatusNoContent)
				}
			})
			req := httptest.NewRequest(http.MethodPost, "/api/stores", strings.NewReader(`{"name":"Waldorf"}`))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if tc.accepted {
				if rec.Code != http.StatusNoContent || got.Name != "Waldorf" {
					t.Fatalf("status %d, body %s, decoded %+v; want it read", rec.Code, rec.Body, got)
				}
				return
			}
			var e apiError
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != http.StatusUnsupportedMediaType || e.Code != "unsupported_media_type" || !strings.Contains(e.Message, tc.says) {
				t.Errorf("answered %d %+v; want 415 unsupported_media_type saying %q", rec.Code, e, tc.says)
			}
			if got != (command{}) {
				t.Errorf("the body was read anyway: %+v", got)
			}
		})
	}
}
