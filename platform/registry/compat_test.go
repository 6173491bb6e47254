package registry_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// Registrations of one subject, in order, under BACKWARD_TRANSITIVE: each new
// version must read data written with every earlier one.
func TestBackwardTransitive(t *testing.T) {
	e := fresh(t)
	const subject = "mallbots.test.users-mallbots.test.User"
	steps := []struct {
		name    string
		schema  string
		version int    // the version it becomes, 0 when refused
		refusal string // a part of the 409 message
	}{
		{"first version", user(fID, fName), 1, ""},
		{"adding a field with a default", user(fID, fName, fEmail), 2, ""},
		{"adding a field without a default", user(fID, fName, fEmail, fPhoneNoDef), 0, "phone"},
		{"changing a field's type string to int", user(fID, fNameInt, fEmail), 0, "int"},
		{"removing a field", user(fID, fEmail), 3, ""},
		{"adding an optional field", user(fID, fEmail, fNicknameOpt), 4, ""},
		// email without a default reads v2, v3 and v4 data, which all carry
		// email, but not v1 data: only the transitive check catches it.
		{"dropping a default that v1 data needs", user(fID, fEmailNoDef, fNicknameOpt), 0, "version 1 "},
	}
	for _, s := range steps {
		_, err := e.cl.CreateSchema(context.Background(), subject, sr.Schema{Schema: s.schema})
		if s.version > 0 {
			if err != nil {
				t.Fatalf("%s: refused: %v", s.name, err)
			}
			if got := e.versions(subject); len(got) != s.version {
				t.Fatalf("%s: subject has %d versions, want %d", s.name, len(got), s.version)
			}
			continue
		}
		re := responseError(t, err)
		if re.StatusCode != http.StatusConflict || re.ErrorCode != sr.ErrIncompatibleSchema.Code {
			t.Fatalf("%s: got HTTP %d error_code %d (%s), want 409 and 409", s.name, re.StatusCode, re.ErrorCode, re.Message)
		}
		if re.SchemaError() != sr.ErrIncompatibleSchema {
			t.Fatalf("%s: error maps to %v, want sr.ErrIncompatibleSchema", s.name, re.SchemaError())
		}
		for _, want := range []string{subject, "BACKWARD_TRANSITIVE", s.refusal} {
			if !strings.Contains(re.Message, want) {
				t.Fatalf("%s: message %q does not mention %q", s.name, re.Message, want)
			}
		}
	}
	if got := e.versions(subject); len(got) != 4 {
		t.Fatalf("refused schemas left versions behind: %d versions, want 4", len(got))
	}
}

// The compatibility endpoints answer what registration would decide.
func TestCompatibilityEndpoint(t *testing.T) {
	e := fresh(t)
	const subject = "users-value"
	e.register(subject, user(fID, fName))
	e.register(subject, user(fID, fName, fEmail))
	ctx := context.Background()

	cases := []struct {
		name    string
		version int // -1 latest, -2 all
		schema  string
		want    bool
	}{
		{"a field with a default, against all", -2, user(fID, fName, fEmail, fAge), true},
		{"a field without a default, against all", -2, user(fID, fName, fEmail, fPhoneNoDef), false},
		// The same schema as the first case but for a default: hamba's
		// checker caches verdicts by canonical form, which drops defaults.
		{"the first case's field without its default", -2, user(fID, fName, fEmail, fAgeNoDef), false},
		{"a type change, against latest", -1, user(fID, fNameInt, fEmail), false},
		{"a v1-incompatible schema, against version 2 only", 2, user(fID, fName, fEmailNoDef), true},
		{"a v1-incompatible schema, against version 1", 1, user(fID, fName, fEmailNoDef), false},
		{"a v1-incompatible schema, against all", -2, user(fID, fName, fEmailNoDef), false},
	}
	for _, c := range cases {
		res, err := e.cl.CheckCompatibility(ctx, subject, c.version, sr.Schema{Schema: c.schema})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Is != c.want || (len(res.Messages) > 0) == c.want {
			t.Fatalf("%s: is_compatible %v with messages %q, want %v", c.name, res.Is, res.Messages, c.want)
		}
	}

	res, err := e.cl.CheckCompatibility(ctx, "unknown-value", -2, sr.Schema{Schema: user(fID)})
	if err != nil || !res.Is {
		t.Fatalf("against every version of a new subject: %+v, %v; want compatible", res, err)
	}
	_, err = e.cl.CheckCompatibility(ctx, "unknown-value", -1, sr.Schema{Schema: user(fID)})
	if re := responseError(t, err); re.ErrorCode != sr.ErrSubjectNotFound.Code {
		t.Fatalf("against the latest version of a new subject: error_code %d, want %d", re.ErrorCode, sr.ErrSubjectNotFound.Code)
	}
	_, err = e.cl.CheckCompatibility(ctx, subject, 9, sr.Schema{Schema: user(fID)})
	if re := responseError(t, err); re.ErrorCode != sr.ErrVersionNotFound.Code {
		t.Fatalf("against a missing version: error_code %d, want %d", re.ErrorCode, sr.ErrVersionNotFound.Code)
	}
	_, err = e.cl.CheckCompatibility(ctx, subject, -2, sr.Schema{Schema: `{"type":"record","name":"Broken"}`})
	if re := responseError(t, err); re.ErrorCode != sr.ErrInvalidSchema.Code {
		t.Fatalf("an invalid schema: error_code %d, want %d", re.ErrorCode, sr.ErrInvalidSchema.Code)
	}
	if got := e.versions(subject); len(got) != 2 {
		t.Fatalf("checking compatibility registered something: %d versions, want 2", len(got))
	}
}

// Registering a schema the subject has already returns its id and adds no
// version, whatever the JSON formatting; under another subject it keeps its id.
func TestIdenticalRegistrationReturnsTheSameID(t *testing.T) {
	e := fresh(t)
	first := e.register("users-value", user(fID, fName))
	e.register("users-value", user(fID, fName, fEmail))
	spaced := strings.ReplaceAll(user(fID, fName), ",", " ,\n ")
	ctx := context.Background()
	for _, schema := range []string{user(fID, fName), spaced} {
		id, err := e.cl.RegisterSchema(ctx, "users-value", sr.Schema{Schema: schema}, -1, -1)
		if err != nil || id != first.ID {
			t.Fatalf("re-registering version 1 gave id %d (%v), want %d", id, err, first.ID)
		}
	}
	if vs := e.versions("users-value"); !slices.EqualFunc(vs, []int{1, 2}, func(s sr.SubjectSchema, v int) bool { return s.Version == v }) {
		t.Fatalf("re-registration changed the versions: %v", vs)
	}
	other := e.register("people-value", spaced)
	if other.ID != first.ID || other.Version != 1 {
		t.Fatalf("the same schema under another subject got version %d id %d, want version 1 id %d", other.Version, other.ID, first.ID)
	}
}
