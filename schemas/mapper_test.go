package schemas_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
)

type gauge struct {
	ID string `avro:"id"`
}

// sample has every Go type the mapper supports, after the command metadata.
type sample struct {
	schemas.CommandMeta
	Name    string           `avro:"name"`
	At      time.Time        `avro:"at"`
	Limit   *int64           `avro:"limit"`
	Max     *int64           `avro:"max"`
	Note    *string          `avro:"note"`
	Tags    []string         `avro:"tags"`
	Blob    []byte           `avro:"blob"`
	Dims    map[string]int64 `avro:"dims"`
	Gauge   gauge            `avro:"gauge"`
	Count   int32            `avro:"count"`
	Ratio   float64          `avro:"ratio"`
	OK      bool             `avro:"ok"`
	Skipped string           `avro:"-"`
	hidden  string
}

func newSample() *sample {
	five, note := int64(5), "hi"
	return &sample{
		CommandMeta: schemas.CommandMeta{
			CommandID: "c1", AggregateID: "a1", CorrelationID: "c1", ExpectedVersion: &five,
			IssuedAt: time.Date(2024, 3, 5, 6, 0, 0, 0, time.UTC),
		},
		Name: "n",
		// Not UTC and finer than milliseconds: rendered in UTC, truncated.
		At:    time.Date(2024, 3, 5, 7, 7, 8, 123_987_654, time.FixedZone("CET", 3600)),
		Max:   &five,
		Note:  &note,
		Tags:  []string{"a", "b"},
		Blob:  []byte{1, 2},
		Dims:  map[string]int64{"x": 1},
		Gauge: gauge{ID: "g"},
		Count: 2, Ratio: 0.5, OK: true,
		Skipped: "skipped", hidden: "hidden",
	}
}

// PayloadNative is the payload alone, JSON-ready: no metadata, times as
// RFC 3339 UTC strings with milliseconds, optional values as null or the
// plain value.
func TestPayloadNativeIsThePlainPayload(t *testing.T) {
	got, err := schemas.PayloadNative(newSample())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name":  "n",
		"at":    "2024-03-05T06:07:08.123Z",
		"limit": nil,
		"max":   int64(5),
		"note":  "hi",
		"tags":  []any{"a", "b"},
		"blob":  []byte{1, 2},
		"dims":  map[string]any{"x": int64(1)},
		"gauge": map[string]any{"id": "g"},
		"count": int32(2),
		"ratio": 0.5,
		"ok":    true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PayloadNative\n got: %#v\nwant: %#v", got, want)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"limit":null`, `"at":"2024-03-05T06:07:08.123Z"`, `"max":5`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON %s lacks %s", b, s)
		}
	}

	whole := &sample{At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, err = schemas.PayloadNative(whole)
	if err != nil {
		t.Fatal(err)
	}
	if got["at"] != "2024-01-02T03:04:05.000Z" {
		t.Fatalf("a whole second renders as %v, want three millisecond digits", got["at"])
	}

	ev := &stores.StoreCreated{EventMeta: schemas.EventMeta{EventID: "e1", OccurredAt: time.Now()}, Name: "Shop", Location: "Hall"}
	got, err = schemas.PayloadNative(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string]any{"name": "Shop", "location": "Hall"}) {
		t.Fatalf("PayloadNative(StoreCreated) = %#v, want name and location only", got)
	}
	if _, err := schemas.PayloadNative("not a struct"); err == nil {
		t.Fatal("PayloadNative of a string: no error")
	}
}

// ToNative is the whole record for goavro: metadata flattened to top-level
// fields, times as UTC time.Time in milliseconds, optional values as goavro
// unions.
func TestToNativeFlattensTheMetadata(t *testing.T) {
	got, err := schemas.ToNative(newSample())
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"commandId":       "c1",
		"aggregateId":     "a1",
		"causationId":     "",
		"expectedVersion": map[string]any{"long": int64(5)},
		"issuedAt":        time.Date(2024, 3, 5, 6, 0, 0, 0, time.UTC),
		"at":              time.Date(2024, 3, 5, 6, 7, 8, 123_000_000, time.UTC),
		"limit":           nil,
		"note":            map[string]any{"string": "hi"},
	} {
		if v, ok := got[k]; !ok || !reflect.DeepEqual(v, want) {
			t.Errorf("ToNative[%q] = %#v (present %v), want %#v", k, v, ok, want)
		}
	}
	for _, k := range []string{"Skipped", "skipped", "hidden", "-"} {
		if _, ok := got[k]; ok {
			t.Errorf("ToNative has %q, which is not an Avro field", k)
		}
	}
}

// FromNative is ToNative's inverse for every supported type; fields the
// record lacks keep their zero value and fields it has beyond the Go type
// are ignored.
func TestFromNativeInvertsToNative(t *testing.T) {
	in := newSample()
	native, err := schemas.ToNative(in)
	if err != nil {
		t.Fatal(err)
	}
	native["unknownField"] = "ignored"
	delete(native, "ratio")
	var out sample
	if err := schemas.FromNative(native, &out); err != nil {
		t.Fatal(err)
	}
	want := *in
	want.At = want.At.UTC().Truncate(time.Millisecond)
	want.Ratio, want.Skipped, want.hidden = 0, "", ""
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("FromNative(ToNative(x))\n got: %+v\nwant: %+v", out, want)
	}
}

// A field without an avro tag is a programming error: the first use of its
// type panics with a message naming the field.
func TestUntaggedFieldPanicsNamingIt(t *testing.T) {
	type untagged struct {
		ID    string `avro:"id"`
		Label string
	}
	for name, use := range map[string]func(){
		"ToNative":      func() { _, _ = schemas.ToNative(&untagged{}) },
		"PayloadNative": func() { _, _ = schemas.PayloadNative(&untagged{}) },
		"FromNative":    func() { _ = schemas.FromNative(map[string]any{"id": "x"}, &untagged{}) },
	} {
		msg := panicOf(use)
		if !strings.Contains(msg, "Label") || !strings.Contains(msg, "no avro tag") {
			t.Errorf("%s on an untagged field: panic %q, want one naming Label and the missing tag", name, msg)
		}
	}
}

func panicOf(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return "no panic"
}

// A native value of the wrong shape is an error that names the path to the
// field and both types; nothing panics.
func TestFromNativeMismatchNamesTheField(t *testing.T) {
	cases := []struct {
		name   string
		native map[string]any
		into   any
		want   []string
	}{
		{"a string field given a long", map[string]any{"name": int64(5)}, new(stores.CreateStore), []string{"name", "int64", "string"}},
		{"a time given a string", map[string]any{"issuedAt": "yesterday"}, new(stores.CreateStore), []string{"issuedAt", "string", "time.Time"}},
		{"an optional long given a string", map[string]any{"expectedVersion": map[string]any{"string": "3"}}, new(stores.CreateStore), []string{"expectedVersion", "string", "int64"}},
		{"a bool given a string", map[string]any{"state": map[string]any{"participating": "yes"}}, new(stores.StoreSnapshot), []string{"state", "participating", "bool"}},
		{"a nested array item", map[string]any{"recent": []any{
			map[string]any{"events": []any{[]byte{0}}},
			map[string]any{"events": []any{[]byte{0}, "not bytes"}},
		}}, new(stores.StoreSnapshot), []string{"recent", "[1]", "events", "[1]", "string", "[]uint8"}},
		{"an array given a map", map[string]any{"eventIds": map[string]any{}}, new(schemas.CommandResult), []string{"eventIds"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := schemas.FromNative(tc.native, tc.into)
			if err == nil {
				t.Fatalf("no error; decoded %+v", tc.into)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	if err := schemas.FromNative(map[string]any{}, stores.CreateStore{}); err == nil {
		t.Error("FromNative into a non-pointer: no error")
	}
}

// A Go type the mapper cannot express is an encoding error naming the field.
func TestToNativeRefusesUnsupportedTypes(t *testing.T) {
	type plainInt struct {
		N int `avro:"n"`
	}
	type optionalStruct struct {
		G *gauge `avro:"g"`
	}
	for name, v := range map[string]any{"int": &plainInt{N: 1}, "*struct": &optionalStruct{G: &gauge{}}} {
		_, err := schemas.ToNative(v)
		if err == nil || !strings.Contains(err.Error(), "unsupported") {
			t.Errorf("ToNative with a %s field: %v, want an unsupported-type error", name, err)
		}
	}
	if _, err := schemas.ToNative(&plainInt{}); err == nil || !strings.Contains(err.Error(), "n:") {
		t.Errorf("error %v does not name the field n", err)
	}
	if _, err := schemas.ToNative(42); err == nil {
		t.Error("ToNative(42): no error")
	}
}
