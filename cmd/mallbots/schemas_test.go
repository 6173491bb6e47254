package main_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/registry/registrytest"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// `mallbots schemas check` against the embedded registry: a registry the
// contract is (or could be) registered on passes; one where a subject of the
// contract holds a schema our versions cannot follow, or holds them out of
// order, fails with the subject named.

func TestSchemasCheckPassesOnAnEmptyRegistryAndAfterRegistration(t *testing.T) {
	url, cl := embeddedRegistry(t)

	out, err := schemasCheck(t, url)
	if err != nil {
		t.Fatalf("on an empty registry: %v\n%s", err, out)
	}
	if !strings.Contains(out, "not registered yet, would be accepted") || strings.Contains(out, "INCOMPATIBLE") {
		t.Fatalf("on an empty registry every version is new and acceptable:\n%s", out)
	}

	// What `mallbots run` does at start: register every version in order.
	types, err := contract.Types()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serde.New(context.Background(), cl, types, topics.All()); err != nil {
		t.Fatal(err)
	}
	out, err = schemasCheck(t, url)
	if err != nil {
		t.Fatalf("after registration: %v\n%s", err, out)
	}
	if strings.Contains(out, "would be accepted") || !strings.Contains(out, " 0 not registered yet but compatible; subjects incompatible or conflicting: 0") {
		t.Fatalf("after registration every version is registered:\n%s", out)
	}
}

func TestSchemasCheckFailsNamingAnIncompatibleSubject(t *testing.T) {
	url, cl := embeddedRegistry(t)
	subject := serde.Subject(topics.Products.Events.Name, "mallbots.stores.ProductAdded")
	// Registered first by someone else: a ProductAdded whose only field is
	// an int eventId. Our v1 requires fields it lacks and reads eventId as a
	// string.
	foreign := `{"type":"record","name":"ProductAdded","namespace":"mallbots.stores","fields":[{"name":"eventId","type":"int"}]}`
	if _, err := cl.CreateSchema(context.Background(), subject, sr.Schema{Schema: foreign}); err != nil {
		t.Fatal(err)
	}

	out, err := schemasCheck(t, url)
	requireExitCode(t, err, out)
	for _, want := range []string{"INCOMPATIBLE  " + subject + ": v1 would be refused", "the registry's version 1 is no version of the contract", "subjects incompatible or conflicting with the registry: " + subject + " ("} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "INCOMPATIBLE") != 1 || strings.Contains(out, "CONFLICT") {
		t.Errorf("only %s is at fault:\n%s", subject, out)
	}
}

func TestSchemasCheckFailsNamingASubjectWhoseVersionsAreOutOfOrder(t *testing.T) {
	url, cl := embeddedRegistry(t)
	types, err := contract.Types()
	if err != nil {
		t.Fatal(err)
	}
	subject := serde.Subject(topics.Products.Events.Name, "mallbots.stores.ProductAdded")
	var v2 string
	for _, typ := range types {
		if typ.Name == "mallbots.stores.ProductAdded" {
			v2 = typ.Versions[1]
		}
	}
	// v2 registered before v1: compatible, but version 1 of the registry is
	// our v2, and v1 would be the registry's version 2.
	if _, err := cl.CreateSchema(context.Background(), subject, sr.Schema{Schema: v2}); err != nil {
		t.Fatal(err)
	}

	out, err := schemasCheck(t, url)
	requireExitCode(t, err, out)
	if !strings.Contains(out, "CONFLICT      "+subject+": v2 is the registry's version 1") || !strings.Contains(out, ": "+subject+" (") {
		t.Errorf("the report does not name the conflict:\n%s", out)
	}
}

// schemasCheck runs `mallbots schemas check` against url and returns its
// output and exit error.
func schemasCheck(t *testing.T, url string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "schemas", "check", "--schema-registry", url).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("mallbots schemas check did not finish in 60s:\n%s", out)
	}
	return string(out), err
}

// requireExitCode fails unless err is the command exiting with status 1.
func requireExitCode(t *testing.T, err error, out string) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v:\n%s", err, out)
	}
}

// embeddedRegistry starts an in-process broker with the _schemas topic and
// the embedded registry on it, listening on loopback; it returns its URL and
// a client.
func embeddedRegistry(t *testing.T) (string, *sr.Client) {
	t.Helper()
	reg := registrytest.Start(t)
	url, err := reg.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	return url, cl
}
