package registry_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// What would break durability or the fixed compatibility level is refused
// with a Confluent-style error, and changes nothing.
func TestRefusals(t *testing.T) {
	e := fresh(t)
	ctx := context.Background()
	const subject = "users-value"
	v1 := e.register(subject, user(fID))

	notPermitted := func(what string, err error) {
		t.Helper()
		re := responseError(t, err)
		if re.StatusCode != http.StatusUnprocessableEntity || re.ErrorCode != sr.ErrOperationNotPermitted.Code {
			t.Fatalf("%s: got HTTP %d error_code %d (%s), want 422 and %d", what, re.StatusCode, re.ErrorCode, re.Message, sr.ErrOperationNotPermitted.Code)
		}
	}
	_, err := e.cl.DeleteSubject(ctx, subject, sr.SoftDelete)
	notPermitted("delete subject", err)
	err = e.cl.DeleteSchema(ctx, subject, 1, sr.HardDelete)
	notPermitted("delete version", err)
	notPermitted("set global compatibility NONE", e.cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone})[0].Err)
	notPermitted("set subject compatibility BACKWARD", e.cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatBackward}, subject)[0].Err)
	notPermitted("set mode READONLY", e.cl.SetMode(ctx, sr.ModeReadOnly)[0].Err)
	_, err = e.cl.RegisterSchema(ctx, subject, sr.Schema{Schema: user(fID, fEmail)}, 100, 5)
	notPermitted("register with an explicit id", err)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/contexts/.other/subjects/"+subject+"/versions",
		strings.NewReader(`{"schema":"{\"type\":\"string\"}"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("register under a context: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("register under a context: HTTP %d, want 422", resp.StatusCode)
	}

	_, err = e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: `{"type":"object"}`, Type: sr.TypeJSON})
	if re := responseError(t, err); re.ErrorCode != sr.ErrInvalidSchema.Code {
		t.Fatalf("register a JSON schema: error_code %d (%s), want %d", re.ErrorCode, re.Message, sr.ErrInvalidSchema.Code)
	}

	if types, err := e.cl.SupportedTypes(ctx); err != nil || len(types) != 1 || types[0] != sr.TypeAvro {
		t.Fatalf("supported types: %v (%v), want AVRO only", types, err)
	}
	if r := e.cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatBackwardTransitive}, subject)[0]; r.Err != nil {
		t.Fatalf("set the level the registry enforces: %v", r.Err)
	}
	for _, s := range []string{"", subject} {
		if r := e.cl.Compatibility(ctx, s)[0]; r.Err != nil || r.Level != sr.CompatBackwardTransitive {
			t.Fatalf("compatibility of %q: %v (%v), want BACKWARD_TRANSITIVE", s, r.Level, r.Err)
		}
	}
	if vs := e.versions(subject); len(vs) != 1 || vs[0].ID != v1.ID {
		t.Fatalf("refused requests changed the subject: %v", vs)
	}
	if subjects, err := e.cl.Subjects(ctx); err != nil || len(subjects) != 1 {
		t.Fatalf("subjects after refusals: %v (%v), want only %s", subjects, err, subject)
	}
}

// Listen serves on loopback only.
func TestListenServesOnLoopbackOnly(t *testing.T) {
	e := fresh(t)
	if _, err := e.reg.Listen("0.0.0.0:0"); err == nil {
		t.Fatal("Listen on 0.0.0.0 succeeded, want a refusal")
	}
	url, err := e.reg.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	ss, err := cl.CreateSchema(context.Background(), "users-value", sr.Schema{Schema: user(fID)})
	if err != nil || ss.Version != 1 {
		t.Fatalf("register through the listener: %+v, %v", ss, err)
	}
}

// A request for a path or method the API does not have is answered with the
// Confluent error body, {"error_code": HTTP status, "message": ...}, as
// every other error is, whether this package or srfake would serve the path.
func TestUnknownRequestsAreAnsweredWithAnErrorBody(t *testing.T) {
	e := fresh(t)
	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/nowhere", http.StatusNotFound},
		{http.MethodGet, "/subjects/users-value/nowhere", http.StatusNotFound},
		{http.MethodPatch, "/subjects/users-value", http.StatusMethodNotAllowed},
		{http.MethodPost, "/schemas", http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, e.srv.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		var body struct {
			Code    int    `json:"error_code"`
			Message string `json:"message"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != c.status || body.Code != c.status || !strings.Contains(body.Message, c.path) {
			t.Errorf("%s %s: HTTP %d %+v (%v); want %d with error_code %d and the path named",
				c.method, c.path, resp.StatusCode, body, err, c.status, c.status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.schemaregistry.v1+json" {
			t.Errorf("%s %s: Content-Type %q, want the registry's", c.method, c.path, ct)
		}
	}
}
