package httpapi

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// fuzzBody has a field of every kind the routes read: strings, an optional
// amount, numbers, a flag, a list and a nested object.
type fuzzBody struct {
	ID, Name, Category string
	Price              *Money `json:"price"`
	Quantity           int    `json:"quantity"`
	Enabled            bool   `json:"enabled"`
	Items              []struct {
		ProductID string `json:"productId"`
		Quantity  int    `json:"quantity"`
	} `json:"items"`
}

// FuzzDecodeBody sends arbitrary bytes to decode, the reader of every JSON
// body of the API. Either it accepts them and has answered nothing (the
// value survives a round trip through JSON), or it has answered 400 or 413
// with a code and a message.
//
//	go test -run='^$' -fuzz=FuzzDecodeBody -fuzztime=60s ./internal/httpapi/
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"id":"p1","name":"Robot kit","category":"toys","price":24.50,"quantity":2,"enabled":true,"items":[{"productId":"p1","quantity":1}]}`,
		`{"price":9.999}`, `{"price":1e2}`, `{"price":"9.99"}`, `{"price":null}`, `{"price":-0.01}`,
		`{"quantity":"2"}`, `{"items":{}}`, `{"unknown":1}`, `{"name":"a"} {}`, `{"name":"a"`, `[]`, `"x"`, ``, `{"Name":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in fuzzBody
		rec := httptest.NewRecorder()
		ok := decode(rec, httptest.NewRequest(http.MethodPost, "/api/any", bytes.NewReader(body)), &in)
		if ok {
			if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
				t.Fatalf("decode accepted %q but answered %d %q", body, rec.Code, rec.Body)
			}
			again, err := json.Marshal(in)
			if err != nil {
				t.Fatalf("an accepted body does not marshal: %v", err)
			}
			var back fuzzBody
			if err := json.Unmarshal(again, &back); err != nil || !reflect.DeepEqual(back, in) {
				t.Fatalf("%q decodes to %+v, which reads back from %s as %+v (%v)", body, in, again, back, err)
			}
			return
		}
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%q refused with HTTP %d, want 400 or 413", body, rec.Code)
		}
		var e apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%q refused without a code and a message: %q", body, rec.Body)
		}
	})
}

// FuzzMoney reads arbitrary JSON as an amount. An accepted amount was a
// plain decimal (no exponent, at most two places) and is exactly that number
// in minor units (checked with math/big), and it writes back as a number that
// reads as the same amount; a plain decimal within range is always accepted.
//
//	go test -run='^$' -fuzz=FuzzMoney -fuzztime=60s ./internal/httpapi/
func FuzzMoney(f *testing.F) {
	for _, seed := range []string{"9.99", "10", "0.5", "-0.01", "0", "-0", "1e2", "1.234", `"9.99"`, "null", "92233720368547758.07", "46116860184273879.03", "[1]", "{}"} {
		f.Add([]byte(seed))
	}
	limit := big.NewRat(1<<62/100, 1) // the largest whole part Money accepts
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Money
		err := json.Unmarshal(b, &m)
		text := strings.Trim(string(b), " \t\r\n") // JSON's whitespace, which has no \v
		// Only a plain decimal is given to math/big: a JSON exponent such as
		// 1e999999999 would have it compute a number of a billion digits.
		plain := plainDecimal.MatchString(text)
		var exact *big.Rat
		if plain {
			exact, _ = new(big.Rat).SetString(text)
		}
		if err != nil {
			if plain && new(big.Rat).Abs(exact).Cmp(limit) <= 0 {
				t.Fatalf("%s is a plain amount, refused: %v", b, err)
			}
			return
		}
		if !plain {
			t.Fatalf("%q is not a plain decimal with at most two places but reads as %d", b, m)
		}
		if cents := new(big.Rat).Mul(exact, big.NewRat(100, 1)); cents.Cmp(big.NewRat(int64(m), 1)) != 0 {
			t.Fatalf("%s reads as %d minor units, want %s", b, m, cents.FloatString(2))
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Money
		if err := json.Unmarshal(out, &back); err != nil || back != m {
			t.Fatalf("%d writes as %s, which reads back as %d (%v)", m, out, back, err)
		}
	})
}

// plainDecimal is a JSON number without an exponent and with at most two
// decimal places.
var plainDecimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`)
