package schemas

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/linkedin/goavro/v2"
)

// The mapper turns Go structs into goavro's natives (map[string]any, []any,
// time.Time, goavro unions) and back, by the `avro:"name"` tag of each field.
// Fields of embedded structs (CommandMeta, EventMeta) are flattened into the
// record, so every command and event record carries its metadata as
// top-level Avro fields that any Kafka client can read.
//
// Supported Go types: string, bool, int32, int64, float64, []byte, time.Time
// (Avro long with logicalType timestamp-millis), *int64 and *string (Avro
// ["null", T] unions), slices, map[string]T and nested structs.

type field struct {
	name     string
	index    []int
	embedded bool // came from an anonymous struct: metadata, not payload
}

var plans sync.Map // reflect.Type → []field

var timeType = reflect.TypeOf(time.Time{})

func fieldsOf(t reflect.Type) []field {
	if p, ok := plans.Load(t); ok {
		return p.([]field)
	}
	var out []field
	collectFields(t, nil, false, &out)
	plans.Store(t, out)
	return out
}

func collectFields(t reflect.Type, prefix []int, embedded bool, out *[]field) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(append([]int(nil), prefix...), i)
		tag := f.Tag.Get("avro")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, idx, true, out)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			panic(fmt.Sprintf("schemas: field %s.%s has no avro tag", t, f.Name)) // programming error, caught by the codec tests
		}
		*out = append(*out, field{name: tag, index: idx, embedded: embedded})
	}
}

// ToNative maps a struct (or pointer to one) to a goavro native record.
func ToNative(v any) (map[string]any, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("cannot encode %T: not a struct", v)
	}
	n, err := toNative(rv, false)
	if err != nil {
		return nil, err
	}
	return n.(map[string]any), nil
}

// toNative converts rv; plain mode produces JSON-friendly values instead of
// goavro unions and time.Time.
func toNative(rv reflect.Value, plain bool) (any, error) {
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int64:
		return rv.Int(), nil
	case reflect.Int32:
		return int32(rv.Int()), nil
	case reflect.Float64:
		return rv.Float(), nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		inner, err := toNative(rv.Elem(), plain)
		if err != nil || plain {
			return inner, err
		}
		name, err := unionName(rv.Elem().Type())
		if err != nil {
			return nil, err
		}
		return goavro.Union(name, inner), nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			item, err := toNative(rv.Index(i), plain)
			if err != nil {
				return nil, err
			}
			out[i] = item
		}
		return out, nil
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			item, err := toNative(iter.Value(), plain)
			if err != nil {
				return nil, err
			}
			out[iter.Key().String()] = item
		}
		return out, nil
	case reflect.Struct:
		if rv.Type() == timeType {
			t := rv.Interface().(time.Time).UTC().Truncate(time.Millisecond)
			if plain {
				return t.Format("2006-01-02T15:04:05.000Z"), nil
			}
			return t, nil
		}
		fs := fieldsOf(rv.Type())
		out := make(map[string]any, len(fs))
		for _, f := range fs {
			if plain && f.embedded {
				continue
			}
			item, err := toNative(rv.FieldByIndex(f.index), plain)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			out[f.name] = item
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported Go type %s", rv.Type())
}

func unionName(t reflect.Type) (string, error) {
	switch t.Kind() {
	case reflect.Int64:
		return "long", nil
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int32:
		return "int", nil
	case reflect.Float64:
		return "double", nil
	}
	return "", fmt.Errorf("unsupported union member %s (use *int64, *string, *bool, *int32 or *float64)", t)
}

// PayloadNative maps the payload fields of a command or event (everything but
// the embedded metadata) to plain JSON-friendly values: optional values are
// null or the value, times are RFC 3339 strings in UTC with milliseconds.
func PayloadNative(v any) (map[string]any, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	n, err := toNative(rv, true)
	if err != nil {
		return nil, err
	}
	m, ok := n.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("cannot encode %T: not a struct", v)
	}
	return m, nil
}

// FromNative fills the struct pointed to by out from a goavro native record.
// Fields the record lacks keep their zero value (an older writer schema
// without them); fields of the record that out lacks are ignored.
func FromNative(native map[string]any, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("cannot decode into %T: need a pointer to a struct", out)
	}
	return fromNative(native, rv.Elem())
}

func fromNative(native any, rv reflect.Value) error {
	if native == nil {
		rv.SetZero()
		return nil
	}
	switch rv.Kind() {
	case reflect.String:
		return set(native, rv, rv.SetString)
	case reflect.Bool:
		return set(native, rv, rv.SetBool)
	case reflect.Int64, reflect.Int32:
		return setNumber[int64, int32](native, rv, rv.SetInt)
	case reflect.Float64:
		return setNumber[float64, float32](native, rv, rv.SetFloat)
	case reflect.Pointer:
		if m, ok := native.(map[string]any); ok && len(m) == 1 {
			for _, inner := range m {
				native = inner
			}
		}
		p := reflect.New(rv.Type().Elem())
		if err := fromNative(native, p.Elem()); err != nil {
			return err
		}
		rv.Set(p)
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b, ok := native.([]byte)
			if !ok {
				return mismatch(native, rv)
			}
			rv.SetBytes(append([]byte(nil), b...))
			return nil
		}
		items, ok := native.([]any)
		if !ok {
			return mismatch(native, rv)
		}
		s := reflect.MakeSlice(rv.Type(), len(items), len(items))
		for i, item := range items {
			if err := fromNative(item, s.Index(i)); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		rv.Set(s)
	case reflect.Map:
		m, ok := native.(map[string]any)
		if !ok {
			return mismatch(native, rv)
		}
		out := reflect.MakeMapWithSize(rv.Type(), len(m))
		for k, item := range m {
			v := reflect.New(rv.Type().Elem()).Elem()
			if err := fromNative(item, v); err != nil {
				return fmt.Errorf("[%q]: %w", k, err)
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()), v)
		}
		rv.Set(out)
	case reflect.Struct:
		if rv.Type() == timeType {
			switch t := native.(type) {
			case time.Time:
				rv.Set(reflect.ValueOf(t.UTC()))
			case int64:
				rv.Set(reflect.ValueOf(time.UnixMilli(t).UTC()))
			default:
				return mismatch(native, rv)
			}
			return nil
		}
		m, ok := native.(map[string]any)
		if !ok {
			return mismatch(native, rv)
		}
		for _, f := range fieldsOf(rv.Type()) {
			item, present := m[f.name]
			if !present {
				continue
			}
			if err := fromNative(item, rv.FieldByIndex(f.index)); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
	default:
		return fmt.Errorf("unsupported Go type %s", rv.Type())
	}
	return nil
}

// set stores a native value of type T with the setter of rv's kind.
func set[T any](native any, rv reflect.Value, setter func(T)) error {
	v, ok := native.(T)
	if !ok {
		return mismatch(native, rv)
	}
	setter(v)
	return nil
}

// setNumber stores a native number of type W, or of the narrower type N
// widened (goavro gives an Avro int as int32, a float as float32), with the
// setter of rv's kind.
func setNumber[W, N int64 | int32 | float64 | float32](native any, rv reflect.Value, setter func(W)) error {
	switch n := native.(type) {
	case W:
		setter(n)
	case N:
		setter(W(n))
	default:
		return mismatch(native, rv)
	}
	return nil
}

func mismatch(native any, rv reflect.Value) error {
	return fmt.Errorf("cannot decode %T into %s", native, strings.TrimPrefix(rv.Type().String(), "*"))
}
