package schemas_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// contractTypes is contract.Types() or the end of the test.
func contractTypes(t testing.TB) []schemas.Type {
	t.Helper()
	types, err := contract.Types()
	if err != nil {
		t.Fatalf("contract.Types: %v", err)
	}
	return types
}

// carriers maps each Avro full name to the catalogue topics that carry it.
// It is built once: the fuzzers ask for it on every input.
var carriers = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	for _, topic := range topics.All() {
		for _, name := range topic.Values {
			out[name] = append(out[name], topic.Name)
		}
	}
	return out
})

// topicOf is the first catalogue topic that carries a type, for a test that
// needs one and where any will do.
func topicOf(name string) string { return carriers()[name][0] }

// carriedType is a contract record type with the catalogue topics that
// carry it.
type carriedType struct {
	schemas.Type
	carriers []string
}

// carriedTypes is every contract record type with the topics that carry it.
func carriedTypes(tb testing.TB) []carriedType {
	tb.Helper()
	carried := carriers()
	var out []carriedType
	for _, typ := range contractTypes(tb) {
		out = append(out, carriedType{Type: typ, carriers: carried[typ.Name]})
	}
	return out
}

// frame prefixes an Avro body with the Confluent wire format header.
func frame(id int, body []byte) []byte {
	b := make([]byte, 5, 5+len(body))
	binary.BigEndian.PutUint32(b[1:], uint32(id))
	return append(b, body...)
}

// filler sets every field of a value to a distinct non-zero value, so that a
// field the codec drops or confuses with another shows up in a comparison.
type filler struct {
	t testing.TB
	n int
	// nilPointers leaves optional (pointer) fields nil instead of setting them.
	nilPointers bool
}

var timeType = reflect.TypeOf(time.Time{})

// populated returns a new value of typ's Go type (a pointer) with every field set.
func populated(t testing.TB, typ schemas.Type, nilPointers bool) any {
	t.Helper()
	v := typ.New()
	f := &filler{t: t, nilPointers: nilPointers}
	f.fill(reflect.ValueOf(v).Elem(), typ.Name)
	return v
}

func (f *filler) next() int {
	f.n++
	return f.n
}

func (f *filler) fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("%s #%d ü✓", path[strings.LastIndex(path, ".")+1:], f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int64, reflect.Int32:
		n := int64(f.next())
		if n%2 == 0 {
			n = -n * 1_000_003 // negative and multi-byte in zigzag varint
		}
		v.SetInt(n)
	case reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.25)
	case reflect.Pointer:
		if f.nilPointers {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			n := byte(f.next())
			v.SetBytes([]byte{0, n, 0xff, 'x'})
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			k.SetString(fmt.Sprintf("k%d", f.next()))
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, fmt.Sprintf("%s[%d]", path, i))
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == timeType {
			// Milliseconds in UTC: what timestamp-millis can carry.
			v.Set(reflect.ValueOf(time.UnixMilli(1_714_000_000_123 + int64(f.next())*86_400_007).UTC()))
			return
		}
		for i := range v.NumField() {
			if sf := v.Type().Field(i); sf.IsExported() {
				f.fill(v.Field(i), path+"."+sf.Name)
			}
		}
	default:
		f.t.Fatalf("filler: %s has kind %s, which the filler does not know; teach it", path, v.Kind())
	}
}

// requireDecodeError fails unless err is a *serde.DecodeError at pos.
func requireDecodeError(t testing.TB, err error, pos serde.Position) *serde.DecodeError {
	t.Helper()
	if err == nil {
		t.Fatalf("want a *DecodeError at %s, got no error", pos)
	}
	var de *serde.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("want a *DecodeError, got %T: %v", err, err)
	}
	if de.Position != pos {
		t.Fatalf("DecodeError at %s, want %s: %v", de.Position, pos, err)
	}
	if !strings.Contains(err.Error(), pos.String()) {
		t.Fatalf("error %q does not name the position %s", err, pos)
	}
	return de
}

// firstDifference names the first field where got and want differ, with both
// values, or returns "" when they are deeply equal.
func firstDifference(got, want any) string {
	return diffValues(reflect.ValueOf(got), reflect.ValueOf(want), "")
}

func diffValues(got, want reflect.Value, path string) string {
	if reflect.DeepEqual(got.Interface(), want.Interface()) {
		return ""
	}
	differ := func() string {
		return fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface())
	}
	if got.Type() != want.Type() {
		return differ()
	}
	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			return differ()
		}
		return diffValues(got.Elem(), want.Elem(), path)
	case reflect.Struct:
		if got.Type() == timeType {
			return differ()
		}
		for i := range got.NumField() {
			if !got.Type().Field(i).IsExported() {
				continue
			}
			if d := diffValues(got.Field(i), want.Field(i), path+"."+got.Type().Field(i).Name); d != "" {
				return d
			}
		}
	case reflect.Slice:
		if got.Len() != want.Len() || got.Type().Elem().Kind() == reflect.Uint8 {
			return differ()
		}
		for i := range got.Len() {
			if d := diffValues(got.Index(i), want.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case reflect.Map:
		if got.Len() != want.Len() {
			return differ()
		}
		for _, k := range want.MapKeys() {
			g := got.MapIndex(k)
			if !g.IsValid() {
				return fmt.Sprintf("%s[%v]: missing", path, k)
			}
			if d := diffValues(g, want.MapIndex(k), fmt.Sprintf("%s[%v]", path, k)); d != "" {
				return d
			}
		}
	}
	return differ()
}
