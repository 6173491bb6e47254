package httpapi

import (
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// JSON Schemas (2020-12, as OpenAPI 3.1 has them) derived from the Go
// types the handlers decode and encode, so that the contract cannot name
// a field the code does not have (docs/adr/0025-openapi-contract.md).
//
// A struct's properties are its encoding/json fields. In an answer a
// field is required unless it is omitempty, and a pointer that is not
// omitempty may be null; in a request body a field is required only when
// tagged oa:"required", and nothing may be null. The oa tag adds what a Go
// type cannot say, comma-separated: required, enum=a|b|c, format=F,
// min=N, max=N.

// object is a JSON object of the document, written with its keys sorted.
type object = map[string]any

// schemaSet collects the named schemas of the document's components.
type schemaSet struct {
	components object
	named      map[reflect.Type]string
}

func newSchemas() *schemaSet {
	s := &schemaSet{components: object{}, named: map[reflect.Type]string{}}
	s.components["Money"] = object{
		"type": "number", "multipleOf": 0.01,
		"description": "An amount in currency units with at most 2 decimal places (9.99), never an exponent; " +
			"kept as integer cents (docs/domain.md, Conventions).",
		"examples": []any{9.99},
	}
	s.named[moneyType] = "Money"
	return s
}

func ref(name string) object { return object{"$ref": "#/components/schemas/" + name} }

var timeType = reflect.TypeOf(time.Time{})

// of is the schema of values of t; request says whether t is read from a
// request body (see above).
func (s *schemaSet) of(t reflect.Type, request bool) object {
	if name, ok := s.named[t]; ok {
		return ref(name)
	}
	switch {
	case t == timeType:
		return object{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		return s.of(t.Elem(), request)
	case t.Kind() == reflect.Struct && t.Name() != "":
		name := componentName(t)
		s.named[t] = name
		s.components[name] = s.object(t, request)
		return ref(name)
	case t.Kind() == reflect.Struct:
		return s.object(t, request)
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return object{"type": "array", "items": s.of(t.Elem(), request)}
	case t.Kind() == reflect.Map:
		return object{"type": "object", "additionalProperties": s.of(t.Elem(), request)}
	case t.Kind() == reflect.Interface:
		return object{} // any JSON value
	}
	return primitive(t)
}

func primitive(t reflect.Type) object {
	switch t.Kind() {
	case reflect.String:
		return object{"type": "string"}
	case reflect.Bool:
		return object{"type": "boolean"}
	case reflect.Int32:
		return object{"type": "integer", "format": "int32"}
	case reflect.Int, reflect.Int64:
		return object{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return object{"type": "number"}
	}
	panic("httpapi: no JSON Schema for the Go type " + t.String())
}

// componentName names a type's schema: storeJSON → Store,
// createStoreBody → CreateStoreBody, ProjectionStatus as it is.
func componentName(t reflect.Type) string {
	n := strings.TrimSuffix(t.Name(), "JSON")
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func (s *schemaSet) object(t reflect.Type, request bool) object {
	props := object{}
	required := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := strings.Contains(","+opts+",", ",omitempty,")
		schema := s.of(f.Type, request)
		oa := tagOptions(f.Tag.Get("oa"))
		if len(oa) > 0 {
			schema = refine(schema, oa)
		}
		if !request && f.Type.Kind() == reflect.Pointer && !omitempty {
			schema = orNull(schema)
		}
		props[name] = schema
		if request && oa["required"] != "" || !request && !omitempty {
			required = append(required, name)
		}
	}
	return object{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// tagOptions reads an oa tag: "required,enum=a|b" → {required: "true", enum: "a|b"}.
func tagOptions(tag string) map[string]string {
	out := map[string]string{}
	for opt := range strings.SplitSeq(tag, ",") {
		if opt == "" {
			continue
		}
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			v = "true"
		}
		out[k] = v
	}
	return out
}

// refine applies a field's oa options to its schema.
func refine(schema object, oa map[string]string) object {
	out := object{}
	for k, v := range schema {
		out[k] = v
	}
	for k, v := range oa {
		switch k {
		case "enum":
			values := []any{}
			for e := range strings.SplitSeq(v, "|") {
				values = append(values, e)
			}
			out["enum"] = values
		case "format":
			out["format"] = v
		case "min", "max":
			n, err := strconv.Atoi(v)
			if err != nil {
				panic("httpapi: oa option " + k + "=" + v + " is not an integer")
			}
			out[map[string]string{"min": "minimum", "max": "maximum"}[k]] = n
		case "required":
		default:
			panic("httpapi: unknown oa option " + k)
		}
	}
	return out
}

// orNull lets a schema also be null.
func orNull(schema object) object {
	if t, ok := schema["type"].(string); ok {
		out := object{}
		for k, v := range schema {
			out[k] = v
		}
		out["type"] = []any{t, "null"}
		return out
	}
	return object{"anyOf": []any{schema, object{"type": "null"}}}
}
