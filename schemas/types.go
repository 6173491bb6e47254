package schemas

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Type is one record type of the contract: its Avro full name, every
// published version of its schema, the Go type it maps to, and the upcaster
// that lifts older versions to the current shape.
type Type struct {
	// Name is the Avro full name, e.g. "mallbots.stores.StoreCreated".
	Name string
	// Versions holds the .avsc text of v1..vN; the last one is written.
	Versions []string
	// New returns a pointer to a zero value of the Go type.
	New func() any
	// Upcast lifts a record decoded with version `from` (1-based, older than
	// the latest) to the latest shape. Nil when there is only one version, or
	// when newer versions only add fields with defaults the Go zero value
	// already expresses.
	Upcast func(from int, native map[string]any) (map[string]any, error)
}

// Latest is the current version number.
func (t Type) Latest() int { return len(t.Versions) }

// GoType is the Go type the record maps to.
func (t Type) GoType() reflect.Type { return reflect.TypeOf(t.New()).Elem() }

// Records is the record constructors of LoadTypes for the given zero
// values, each under its Go type's name, so that a context names each
// record once: new(StoreCreated) is the record StoreCreated, and a
// Snapshot[S] is the record <S>Snapshot (StoreSnapshot). It panics on a
// value that is not a pointer to a named struct: a programming error that
// every context's tests meet.
func Records(zeros ...any) map[string]func() any {
	news := make(map[string]func() any, len(zeros))
	for _, z := range zeros {
		rt := reflect.TypeOf(z)
		if rt == nil || rt.Kind() != reflect.Pointer || rt.Elem().Kind() != reflect.Struct || rt.Elem().Name() == "" {
			panic(fmt.Sprintf("schemas.Records: %T is not a pointer to a named struct", z))
		}
		rt = rt.Elem()
		name := rt.Name()
		if rt.PkgPath() == snapshotPkg && strings.HasPrefix(name, "Snapshot[") {
			state, _ := rt.FieldByName("State")
			name = state.Type.Name() + "Snapshot"
		}
		news[name] = func() any { return reflect.New(rt).Interface() }
	}
	return news
}

// snapshotPkg is where the generic Snapshot is declared, for Records.
var snapshotPkg = reflect.TypeOf(Applied{}).PkgPath()

var avscName = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*)\.v([1-9][0-9]*)\.avsc$`)

// LoadTypes builds the Types of one context from its embedded .avsc files,
// named "<Record>.v<N>.avsc", and the Go constructor of each record. Every
// file must have a constructor and every constructor a v1 file, and the
// record name inside each file must match its file name.
func LoadTypes(fsys fs.FS, namespace string, news map[string]func() any, upcasters map[string]func(int, map[string]any) (map[string]any, error)) ([]Type, error) {
	files, err := fs.Glob(fsys, "*.avsc")
	if err != nil {
		return nil, err
	}
	versions := map[string]map[int]string{}
	for _, f := range files {
		m := avscName.FindStringSubmatch(path.Base(f))
		if m == nil {
			return nil, fmt.Errorf("schema file %s: want <Record>.v<N>.avsc", f)
		}
		text, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var head struct{ Name, Namespace string }
		if err := json.Unmarshal(text, &head); err != nil {
			return nil, fmt.Errorf("schema file %s: %w", f, err)
		}
		if head.Name != m[1] || head.Namespace != namespace {
			return nil, fmt.Errorf("schema file %s declares %s.%s, want %s.%s", f, head.Namespace, head.Name, namespace, m[1])
		}
		n, _ := strconv.Atoi(m[2])
		if versions[m[1]] == nil {
			versions[m[1]] = map[int]string{}
		}
		versions[m[1]][n] = string(text)
	}
	var out []Type
	for name, newFn := range news {
		vs := versions[name]
		if len(vs) == 0 {
			return nil, fmt.Errorf("record %s.%s has no schema file %s.v1.avsc", namespace, name, name)
		}
		t := Type{Name: namespace + "." + name, New: newFn, Upcast: upcasters[name]}
		for v := 1; v <= len(vs); v++ {
			text, ok := vs[v]
			if !ok {
				return nil, fmt.Errorf("record %s.%s: versions must be 1..N without gaps, v%d is missing", namespace, name, v)
			}
			t.Versions = append(t.Versions, text)
		}
		delete(versions, name)
		out = append(out, t)
	}
	for name := range versions {
		return nil, fmt.Errorf("schema file %s.v1.avsc has no Go type", name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
