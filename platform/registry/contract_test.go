package registry_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// The contract's evolution is checked by the registry that enforces it, not
// assumed: every committed version of every subject (topic × record type),
// registered in order as a fresh deployment registers them, is accepted
// under BACKWARD_TRANSITIVE, and becomes the version its file is numbered.
func TestEveryCommittedVersionOfTheContractIsAccepted(t *testing.T) {
	e := fresh(t)
	ctx := context.Background()
	var subjects, versions, evolved int
	for _, topic := range topics.All() {
		for _, name := range topic.Values {
			typ := contractType(t, name)
			subject := serde.Subject(topic.Name, name)
			subjects++
			if typ.Latest() > 1 {
				evolved++
			}
			for i, text := range typ.Versions {
				ss, err := e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: text, Type: sr.TypeAvro})
				if err != nil {
					t.Fatalf("%s v%d is refused by the registry: %v", subject, i+1, err)
				}
				if ss.Version != i+1 {
					t.Fatalf("%s v%d became version %d", subject, i+1, ss.Version)
				}
				versions++
			}
		}
	}
	if evolved < 2 {
		t.Fatalf("only %d subjects have more than one version; the contract has evolved records (ProductAdded, OrderSnapshot, …)", evolved)
	}
	t.Logf("%d subjects, %d versions accepted; %d subjects with more than one version", subjects, versions, evolved)
}

// A change that would leave records already written unreadable is refused
// with HTTP 409 and the subject named, whatever the subject's history.
func TestAnIncompatibleChangeToTheContractIsRefused(t *testing.T) {
	e := fresh(t)
	ctx := context.Background()
	name := "mallbots.stores.ProductAdded"
	subject := serde.Subject(topics.Products.Events.Name, name)
	typ := contractType(t, name)
	for _, text := range typ.Versions {
		e.register(subject, text)
	}
	latest := typ.Versions[typ.Latest()-1]

	refused := []struct {
		name   string
		schema string
	}{
		{"a new field without a default", withField(t, latest, map[string]any{"name": "aisle", "type": "string"}, "")},
		{"a field's type changed (priceCents long → string)", withField(t, latest, nil, "priceCents")},
		{"v2's category without its default, which v1 records need", withField(t, withoutDefault(t, latest, "category"), nil, "")},
	}
	for _, c := range refused {
		_, err := e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: c.schema, Type: sr.TypeAvro})
		re := responseError(t, err)
		if re.StatusCode != http.StatusConflict || re.ErrorCode != sr.ErrIncompatibleSchema.Code || !strings.Contains(re.Message, subject) {
			t.Errorf("%s: HTTP %d error_code %d %q; want 409, %d and the subject named", c.name, re.StatusCode, re.ErrorCode, re.Message, sr.ErrIncompatibleSchema.Code)
		}
	}

	// The check a deployment runs first (mallbots schemas check) says the same.
	compatible := withField(t, latest, map[string]any{"name": "aisle", "type": "string", "default": ""}, "")
	if res, err := e.cl.CheckCompatibility(ctx, subject, -2, sr.Schema{Schema: compatible}); err != nil || !res.Is {
		t.Errorf("a new field with a default: %+v, %v; want compatible", res, err)
	}
	if res, err := e.cl.CheckCompatibility(ctx, subject, -2, sr.Schema{Schema: refused[0].schema}); err != nil || res.Is {
		t.Errorf("a new field without a default: %+v, %v; want incompatible", res, err)
	}
	if vs := e.versions(subject); len(vs) != typ.Latest() {
		t.Fatalf("refused schemas left versions behind: %d versions, want %d", len(vs), typ.Latest())
	}
}

func contractType(t *testing.T, name string) schemas.Type {
	t.Helper()
	types, err := contract.Types()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range types {
		if typ.Name == name {
			return typ
		}
	}
	t.Fatalf("the contract has no %s", name)
	return schemas.Type{}
}

// withField returns the record schema text with field appended (when not
// nil) and the type of the field named retype (when not "") made "string".
func withField(t *testing.T, text string, field map[string]any, retype string) string {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		t.Fatal(err)
	}
	fields := rec["fields"].([]any)
	for _, f := range fields {
		if f := f.(map[string]any); f["name"] == retype {
			f["type"] = "string"
		}
	}
	if field != nil {
		fields = append(fields, field)
	}
	rec["fields"] = fields
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withoutDefault returns the record schema text with the default of the
// named field removed.
func withoutDefault(t *testing.T, text, field string) string {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rec["fields"].([]any) {
		if f := f.(map[string]any); f["name"] == field {
			_, found = f["default"]
			delete(f, "default")
		}
	}
	if !found {
		t.Fatalf("field %s has no default to remove", field)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
