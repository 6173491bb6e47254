package schemas_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// The catalogue and the contract name the same record types: every value a
// topic lists has a schema, and every schema is carried by some topic.
func TestCatalogueAndContractAgree(t *testing.T) {
	types := contractTypes(t)
	known := map[string]bool{}
	for _, typ := range types {
		known[typ.Name] = true
	}
	for _, topic := range topics.All() {
		for _, name := range topic.Values {
			if !known[name] {
				t.Errorf("topic %s carries %s, which contract.Types() lacks", topic.Name, name)
			}
		}
	}
	carried := carriers()
	for _, typ := range types {
		if len(carried[typ.Name]) == 0 {
			t.Errorf("%s is carried by no topic of topics.All()", typ.Name)
		}
	}
}

// A command topic carries only commands, an event topic only events, a table
// only its snapshot record.
func TestAggregateTopicsCarryTheirKind(t *testing.T) {
	byName := map[string]schemas.Type{}
	for _, typ := range contractTypes(t) {
		byName[typ.Name] = typ
	}
	for _, a := range topics.Aggregates() {
		for _, name := range a.Commands.Values {
			if _, ok := byName[name].New().(schemas.Command); !ok {
				t.Errorf("%s carries %s, which is not a schemas.Command", a.Commands.Name, name)
			}
		}
		for _, name := range a.Events.Values {
			if _, ok := byName[name].New().(schemas.Event); !ok {
				t.Errorf("%s carries %s, which is not a schemas.Event", a.Events.Name, name)
			}
		}
		for _, name := range a.Table.Values {
			v := byName[name].New()
			_, isCommand := v.(schemas.Command)
			_, isEvent := v.(schemas.Event)
			if isCommand || isEvent || !strings.HasSuffix(name, "Snapshot") {
				t.Errorf("table %s carries %s, which is not a snapshot record", a.Table.Name, name)
			}
		}
	}
}

// avroField is one field of a record schema as the .avsc file writes it.
type avroField struct {
	Name string          `json:"name"`
	Type json.RawMessage `json:"type"`
}

// metaFieldTypes is the Avro type of each Go type the metadata uses.
var metaFieldTypes = map[reflect.Type]string{
	reflect.TypeOf(""):                             `"string"`,
	reflect.TypeOf(int64(0)):                       `"long"`,
	reflect.TypeOf((*int64)(nil)):                  `["null","long"]`,
	reflect.TypeOf(schemas.EventMeta{}.OccurredAt): `{"logicalType":"timestamp-millis","type":"long"}`, // keys sorted, as compactJSON writes them,
}

// chainFields are the event metadata fields of the hash chain (ADR 0021):
// added by a later version of every event, they close each version that has
// them instead of opening it.
var chainFields = map[string]bool{"prevHash": true, "hash": true}

// whoFields are the metadata fields naming who issued a command (ADR
// 0023): added by a later version of every command and event, in their
// place among the metadata; the versions published before them lack both.
var whoFields = map[string]bool{"issuedBy": true, "issuerRole": true}

// metaFields lists the avro names and Avro types of a metadata struct's
// fields, the chain's left out.
func metaFields(t *testing.T, meta reflect.Type) (names, types []string) {
	for i := range meta.NumField() {
		f := meta.Field(i)
		if chainFields[f.Tag.Get("avro")] {
			continue
		}
		avroType, ok := metaFieldTypes[f.Type]
		if !ok {
			t.Fatalf("%s.%s has Go type %s; add its Avro type to metaFieldTypes", meta, f.Name, f.Type)
		}
		names = append(names, f.Tag.Get("avro"))
		types = append(types, avroType)
	}
	return names, types
}

// Every version of every command schema opens with the command metadata
// fields, in CommandMeta's order and with its types, and every event schema
// with the event metadata fields: any Kafka client reads them at the same
// place without knowing the type. The who fields (ADR 0023) are in the
// latest version of each; an older version may lack them, then it opens
// with the others.
func TestRecordsOpenWithTheirMetadata(t *testing.T) {
	cmdNames, cmdTypes := metaFields(t, reflect.TypeOf(schemas.CommandMeta{}))
	evNames, evTypes := metaFields(t, reflect.TypeOf(schemas.EventMeta{}))
	var commands, events int
	for _, typ := range contractTypes(t) {
		v := typ.New()
		var names, types []string
		switch v.(type) {
		case schemas.Command:
			names, types = cmdNames, cmdTypes
			commands++
		case schemas.Event:
			names, types = evNames, evTypes
			events++
		default:
			continue
		}
		all, allTypes := names, types
		for i, text := range typ.Versions {
			var rec struct {
				Type   string      `json:"type"`
				Fields []avroField `json:"fields"`
			}
			if err := json.Unmarshal([]byte(text), &rec); err != nil {
				t.Fatalf("%s v%d: %v", typ.Name, i+1, err)
			}
			names, types = all, allTypes
			if i+1 < typ.Latest() && !hasField(rec.Fields, "issuedBy") {
				names, types = withoutWho(all, allTypes)
			}
			if rec.Type != "record" || len(rec.Fields) < len(names) {
				t.Errorf("%s v%d: a %q with %d fields cannot open with the %d metadata fields", typ.Name, i+1, rec.Type, len(rec.Fields), len(names))
				continue
			}
			for j, name := range names {
				f := rec.Fields[j]
				if f.Name != name {
					t.Errorf("%s v%d: field %d is %q, want metadata field %q", typ.Name, i+1, j, f.Name, name)
					continue
				}
				if got := compactJSON(t, f.Type); got != types[j] {
					t.Errorf("%s v%d: metadata field %s has type %s, want %s", typ.Name, i+1, name, got, types[j])
				}
			}
		}
	}
	if commands == 0 || events == 0 {
		t.Fatalf("found %d command and %d event types; the contract has both", commands, events)
	}
}

// The latest version of every event schema ends with prevHash then hash,
// both strings defaulting to "", and every version that has either has
// both, last: the canonical bytes of an event are its Avro body with the
// last field emptied, so verify finds the hash at the end of any record
// without knowing the type (serde.Chain, ADR 0021).
func TestEventsEndWithTheirHashChain(t *testing.T) {
	want := []string{`{"default":"","name":"prevHash","type":"string"}`, `{"default":"","name":"hash","type":"string"}`}
	var events int
	for _, typ := range contractTypes(t) {
		if _, ok := typ.New().(schemas.Event); !ok {
			continue
		}
		events++
		for i, text := range typ.Versions {
			var rec struct {
				Fields []map[string]any `json:"fields"`
			}
			if err := json.Unmarshal([]byte(text), &rec); err != nil {
				t.Fatalf("%s v%d: %v", typ.Name, i+1, err)
			}
			has := false
			for _, f := range rec.Fields {
				has = has || chainFields[f["name"].(string)]
			}
			if !has && i+1 < typ.Latest() {
				continue // published before the chain
			}
			n := len(rec.Fields)
			for j, w := range want {
				f := rec.Fields[n-len(want)+j]
				delete(f, "doc")
				b, _ := json.Marshal(f)
				if string(b) != w {
					t.Errorf("%s v%d: field %d is %s, want %s", typ.Name, i+1, n-len(want)+j, b, w)
				}
			}
		}
	}
	if events == 0 {
		t.Fatal("no event types in the contract")
	}
}

func hasField(fields []avroField, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// withoutWho drops the who fields from a list of metadata fields.
func withoutWho(names, types []string) (n, ty []string) {
	for i, name := range names {
		if !whoFields[name] {
			n, ty = append(n, name), append(ty, types[i])
		}
	}
	return n, ty
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The latest schema of every type and its Go type describe the same record:
// every Go field (metadata flattened) is a schema field of the matching Avro
// type and every schema field is a Go field. goavro ignores a native field
// the schema lacks, so a missing schema field loses data without an error.
func TestGoTypesMatchTheirLatestSchema(t *testing.T) {
	for _, typ := range contractTypes(t) {
		var schema any
		if err := json.Unmarshal([]byte(typ.Versions[typ.Latest()-1]), &schema); err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
		m := &schemaMatcher{named: map[string]any{}}
		m.match(typ.Name, reflect.TypeOf(typ.New()).Elem(), schema, "")
		for _, p := range m.problems {
			t.Errorf("%s v%d: %s", typ.Name, typ.Latest(), p)
		}
	}
}

type schemaMatcher struct {
	named    map[string]any // named types defined so far, by full and short name
	problems []string
}

var primitives = map[reflect.Kind]string{
	reflect.String: "string", reflect.Bool: "boolean", reflect.Int64: "long",
	reflect.Int32: "int", reflect.Float64: "double",
}

func (m *schemaMatcher) problem(path, format string, args ...any) {
	m.problems = append(m.problems, path+": "+fmt.Sprintf(format, args...))
}

// match checks the Go type gt against the Avro schema s at path; namespace
// is the enclosing one, for resolving short names.
func (m *schemaMatcher) match(path string, gt reflect.Type, s any, namespace string) {
	if name, ok := s.(string); ok {
		if def, ok := m.named[name]; ok {
			s = def
		} else if def, ok := m.named[namespace+"."+name]; ok {
			s = def
		}
	}
	obj, _ := s.(map[string]any)
	if obj != nil {
		if name, _ := obj["name"].(string); name != "" {
			if ns, _ := obj["namespace"].(string); ns != "" {
				namespace = ns
			}
			full := name
			if !strings.Contains(name, ".") && namespace != "" {
				full = namespace + "." + name
			}
			m.named[full], m.named[name] = obj, obj
		}
	}
	avroType := func() any {
		if obj != nil {
			return obj["type"]
		}
		return s
	}
	switch {
	case gt == timeType:
		if obj == nil || obj["type"] != "long" || obj["logicalType"] != "timestamp-millis" {
			m.problem(path, "Go time.Time wants a long with logicalType timestamp-millis, schema has %v", s)
		}
	case gt.Kind() == reflect.Pointer:
		union, ok := s.([]any)
		if !ok || len(union) != 2 || union[0] != "null" {
			m.problem(path, "Go %s wants the union [\"null\", T], schema has %v", gt, s)
			return
		}
		m.match(path, gt.Elem(), union[1], namespace)
	case gt.Kind() == reflect.Slice && gt.Elem().Kind() == reflect.Uint8:
		if avroType() != "bytes" {
			m.problem(path, "Go []byte wants bytes, schema has %v", s)
		}
	case gt.Kind() == reflect.Slice:
		if obj == nil || obj["type"] != "array" {
			m.problem(path, "Go %s wants an array, schema has %v", gt, s)
			return
		}
		m.match(path+"[]", gt.Elem(), obj["items"], namespace)
	case gt.Kind() == reflect.Map:
		if obj == nil || obj["type"] != "map" {
			m.problem(path, "Go %s wants a map, schema has %v", gt, s)
			return
		}
		m.match(path+"{}", gt.Elem(), obj["values"], namespace)
	case gt.Kind() == reflect.Struct:
		if obj == nil || obj["type"] != "record" {
			m.problem(path, "Go %s wants a record, schema has %v", gt, s)
			return
		}
		m.matchRecord(path, gt, obj, namespace)
	default:
		want, ok := primitives[gt.Kind()]
		if !ok {
			m.problem(path, "Go %s is not a type the mapper supports", gt)
		} else if avroType() != want {
			m.problem(path, "Go %s wants %s, schema has %v", gt, want, s)
		}
	}
}

func (m *schemaMatcher) matchRecord(path string, gt reflect.Type, rec map[string]any, namespace string) {
	goFields := map[string]reflect.Type{}
	var collect func(reflect.Type)
	collect = func(st reflect.Type) {
		for i := range st.NumField() {
			f := st.Field(i)
			tag := f.Tag.Get("avro")
			switch {
			case tag == "-":
			case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
				collect(f.Type)
			case f.IsExported():
				goFields[tag] = f.Type
			}
		}
	}
	collect(gt)
	fields, _ := rec["fields"].([]any)
	seen := map[string]bool{}
	for _, f := range fields {
		field, _ := f.(map[string]any)
		name, _ := field["name"].(string)
		seen[name] = true
		goType, ok := goFields[name]
		if !ok {
			m.problem(path+"."+name, "schema field has no Go field in %s", gt)
			continue
		}
		m.match(path+"."+name, goType, field["type"], namespace)
	}
	for name := range goFields {
		if !seen[name] {
			m.problem(path+"."+name, "Go field of %s has no schema field: encoding drops it silently", gt)
		}
	}
}
