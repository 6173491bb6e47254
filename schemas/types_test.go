package schemas_test

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mallbots/mallbots/schemas"
)

// record is the text of a minimal record schema.
func record(namespace, name string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"type":"record","name":"` + name + `","namespace":"` + namespace +
		`","fields":[{"name":"id","type":"string"}]}`)}
}

// things is a context whose every file holds the record mallbots.test.Thing.
func things(names ...string) fstest.MapFS {
	fs := fstest.MapFS{}
	for _, n := range names {
		fs[n] = record("mallbots.test", "Thing")
	}
	return fs
}

func newThing() any { return new(thing) }

// LoadTypes refuses a context whose files and Go types do not line up, with
// a message that names the record and what is wrong.
func TestLoadTypesNamesWhatIsWrong(t *testing.T) {
	news := map[string]func() any{"Thing": newThing}
	cases := []struct {
		name  string
		files fstest.MapFS
		news  map[string]func() any // nil: the one constructor of Thing
		want  []string              // every one appears in the error
	}{
		{
			name:  "no v1",
			files: things("Thing.v2.avsc"),
			want:  []string{"mallbots.test.Thing", "v1 is missing"},
		},
		{
			name:  "a gap in versions",
			files: things("Thing.v1.avsc", "Thing.v3.avsc"),
			want:  []string{"mallbots.test.Thing", "without gaps", "v2 is missing"},
		},
		{
			name:  "a file declaring another record",
			files: fstest.MapFS{"Thing.v1.avsc": record("mallbots.test", "Gadget")},
			want:  []string{"Thing.v1.avsc", "declares mallbots.test.Gadget", "want mallbots.test.Thing"},
		},
		{
			name:  "a file in another namespace",
			files: fstest.MapFS{"Thing.v1.avsc": record("mallbots.other", "Thing")},
			want:  []string{"Thing.v1.avsc", "declares mallbots.other.Thing", "want mallbots.test.Thing"},
		},
		{
			name:  "a constructor without a file",
			files: things("Thing.v1.avsc"),
			news:  map[string]func() any{"Thing": newThing, "Gadget": newThing},
			want:  []string{"mallbots.test.Gadget", "no schema file Gadget.v1.avsc"},
		},
		{
			name: "a file without a constructor",
			files: fstest.MapFS{
				"Thing.v1.avsc":  record("mallbots.test", "Thing"),
				"Gadget.v1.avsc": record("mallbots.test", "Gadget"),
			},
			want: []string{"Gadget.v1.avsc", "no Go type"},
		},
		{
			name:  "a file name without a version",
			files: things("Thing.avsc"),
			want:  []string{"Thing.avsc", "<Record>.v<N>.avsc"},
		},
		{
			name:  "a version 0",
			files: things("Thing.v0.avsc", "Thing.v1.avsc"),
			want:  []string{"Thing.v0.avsc", "<Record>.v<N>.avsc"},
		},
		{
			name:  "a version with a leading zero",
			files: things("Thing.v01.avsc", "Thing.v1.avsc"), // both would be v1; one would silently win
			want:  []string{"Thing.v01.avsc", "<Record>.v<N>.avsc"},
		},
		{
			name:  "a file that is not JSON",
			files: fstest.MapFS{"Thing.v1.avsc": {Data: []byte(`{"type": "record",`)}},
			want:  []string{"Thing.v1.avsc"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.news == nil {
				tc.news = news
			}
			types, err := schemas.LoadTypes(tc.files, "mallbots.test", tc.news, nil)
			if err == nil {
				t.Fatalf("no error; got types %+v", types)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// A well-formed context gives one Type per record, sorted by full name, with
// its versions in order and its upcaster.
func TestLoadTypesOrdersTypesAndVersions(t *testing.T) {
	v := func(n string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`{"type":"record","name":"Thing","namespace":"mallbots.test","doc":"` + n +
			`","fields":[{"name":"id","type":"string"}]}`)}
	}
	files := fstest.MapFS{
		// Ten and more versions: the order is numeric, not by file name.
		"Thing.v10.avsc": v("10"), "Thing.v2.avsc": v("2"), "Thing.v1.avsc": v("1"),
		"Thing.v3.avsc": v("3"), "Thing.v4.avsc": v("4"), "Thing.v5.avsc": v("5"),
		"Thing.v6.avsc": v("6"), "Thing.v7.avsc": v("7"), "Thing.v8.avsc": v("8"),
		"Thing.v9.avsc": v("9"),
		"Alpha.v1.avsc": record("mallbots.test", "Alpha"),
	}
	upcast := func(int, map[string]any) (map[string]any, error) { return nil, nil }
	types, err := schemas.LoadTypes(files, "mallbots.test",
		map[string]func() any{"Thing": newThing, "Alpha": newThing},
		map[string]func(int, map[string]any) (map[string]any, error){"Thing": upcast})
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != 2 || types[0].Name != "mallbots.test.Alpha" || types[1].Name != "mallbots.test.Thing" {
		t.Fatalf("types %v, want Alpha then Thing", names(types))
	}
	if types[0].Upcast != nil || types[1].Upcast == nil {
		t.Fatal("the upcaster is not on Thing alone")
	}
	thing := types[1]
	if thing.Latest() != 10 {
		t.Fatalf("Thing has %d versions, want 10", thing.Latest())
	}
	for i, text := range thing.Versions {
		if want := `"doc":"` + strconv.Itoa(i+1) + `"`; !strings.Contains(text, want) {
			t.Fatalf("Versions[%d] is %s, want the v%d file", i, text, i+1)
		}
	}
}

func names(types []schemas.Type) []string {
	var out []string
	for _, t := range types {
		out = append(out, t.Name)
	}
	return out
}

// Records names each constructor after its Go type, a Snapshot[S] after S,
// and each constructor makes a new zero value.
func TestRecordsNamesTheGoTypes(t *testing.T) {
	type Widget struct{ ID string }
	news := schemas.Records(new(Widget), new(schemas.Snapshot[Widget]), new(schemas.CommandResult))
	for name, want := range map[string]any{
		"Widget": &Widget{}, "WidgetSnapshot": &schemas.Snapshot[Widget]{}, "CommandResult": &schemas.CommandResult{},
	} {
		newFn, ok := news[name]
		if !ok {
			t.Fatalf("Records has no %s: %v", name, slices.Collect(maps.Keys(news)))
		}
		if got := newFn(); !reflect.DeepEqual(got, want) || got == newFn() {
			t.Errorf("%s makes %#v, want a new %#v each time", name, got, want)
		}
	}
	if len(news) != 3 {
		t.Errorf("Records = %d constructors, want 3", len(news))
	}
	defer func() {
		if recover() == nil {
			t.Error("Records of a string did not panic")
		}
	}()
	schemas.Records("Widget")
}
