package registry_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// A schema may use a type registered under another subject by referencing
// it; references survive a restart and take part in the compatibility check.
func TestReferences(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	ctx := context.Background()
	address := `{"type":"record","name":"Address","namespace":"mallbots.test","fields":[{"name":"city","type":"string"}]}`
	e.register("address-value", address)
	refs := []sr.SchemaReference{{Name: "mallbots.test.Address", Subject: "address-value", Version: 1}}
	withAddress := user(fID, `{"name":"address","type":"mallbots.test.Address"}`)
	v1, err := e.cl.CreateSchema(ctx, "users-value", sr.Schema{Schema: withAddress, References: refs})
	if err != nil {
		t.Fatalf("register a schema with a reference: %v", err)
	}
	if _, err := e.cl.CreateSchema(ctx, "users-value", sr.Schema{Schema: withAddress}); err == nil {
		t.Fatal("a schema naming a type it does not reference was accepted")
	}
	before := snapshot(e, []string{"address-value", "users-value"})
	e.stop()

	e = start(t, dir)
	if after := snapshot(e, []string{"address-value", "users-value"}); !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart: %v, want %v", after, before)
	}
	if id, err := e.cl.RegisterSchema(ctx, "users-value", sr.Schema{Schema: withAddress, References: refs}, -1, -1); err != nil || id != v1.ID {
		t.Fatalf("re-registering after restart: id %d (%v), want %d", id, err, v1.ID)
	}
	withoutDefault := user(fID, `{"name":"address","type":"mallbots.test.Address"}`, fPhoneNoDef)
	_, err = e.cl.CreateSchema(ctx, "users-value", sr.Schema{Schema: withoutDefault, References: refs})
	if re := responseError(t, err); re.ErrorCode != sr.ErrIncompatibleSchema.Code {
		t.Fatalf("an incompatible schema with a reference: error_code %d (%s), want 409", re.ErrorCode, re.Message)
	}
}
