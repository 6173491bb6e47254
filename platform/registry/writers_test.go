package registry_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/registry"
)

// With writers, only they register new schemas or change the compatibility
// or the mode (HTTP basic auth); anyone still reads, checks compatibility
// and re-registers a schema the subject already has, which changes nothing.
func TestOnlyWritersRegisterSchemasOrChangeSettings(t *testing.T) {
	e := start(t, t.TempDir(), registry.WithWriters(map[string]string{"mallbots-registry": "s3cret"}))
	ctx := context.Background()
	const subject = "users-value"
	writer, err := sr.NewClient(sr.URLs(e.srv.URL), sr.BasicAuth("mallbots-registry", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := sr.NewClient(sr.URLs(e.srv.URL), sr.BasicAuth("mallbots-registry", "guess"))
	if err != nil {
		t.Fatal(err)
	}
	unauthorized := func(what string, err error) {
		t.Helper()
		re := responseError(t, err)
		if re.StatusCode != http.StatusUnauthorized || re.ErrorCode != 40101 {
			t.Errorf("%s: got HTTP %d error_code %d (%s), want 401 and 40101", what, re.StatusCode, re.ErrorCode, re.Message)
		}
	}
	_, err = e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: user(fID)})
	unauthorized("register without credentials", err)
	_, err = wrong.CreateSchema(ctx, subject, sr.Schema{Schema: user(fID)})
	unauthorized("register with a wrong password", err)
	if _, err := e.cl.SubjectVersions(ctx, subject); err == nil {
		t.Fatal("a refused registration created the subject")
	}

	v1, err := writer.CreateSchema(ctx, subject, sr.Schema{Schema: user(fID)})
	if err != nil {
		t.Fatal("register as a writer: ", err)
	}
	again, err := e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: user(fID)})
	if err != nil || again.ID != v1.ID {
		t.Errorf("re-register the same schema without credentials: %+v %v, want id %d", again, err, v1.ID)
	}
	_, err = e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: user(fID, fEmail)})
	unauthorized("register a second version without credentials", err)
	if got, err := e.cl.SchemaByVersion(ctx, subject, -1); err != nil || got.Version != 1 {
		t.Errorf("read the latest version: %+v %v, want version 1", got, err)
	}
	if ok, err := e.cl.CheckCompatibility(ctx, subject, -1, sr.Schema{Schema: user(fID, fEmail)}); err != nil || !ok.Is {
		t.Errorf("check compatibility without credentials: %+v %v", ok, err)
	}
	unauthorized("set the compatibility without credentials", e.cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone})[0].Err)
	unauthorized("set the mode without credentials", e.cl.SetMode(ctx, sr.ModeReadOnly)[0].Err)
	if _, err := writer.CreateSchema(ctx, subject, sr.Schema{Schema: user(fID, fEmail)}); err != nil {
		t.Error("register a second version as a writer: ", err)
	}
}
