package registry_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/registry"
	"github.com/mallbots/mallbots/platform/registry/registrytest"
)

// A schema the registry cannot parse is refused with HTTP 422, error code
// 42201 and the reason, by registration and by the compatibility check alike,
// and leaves nothing behind. That holds when the Avro parser panics on it
// rather than returning an error (issue 20): the client gets its 422, not a
// dropped connection, and the panic, a bug in the parser, is logged at ERROR.
func TestUnparseableSchemasAreRefusedAsInvalid(t *testing.T) {
	cases := []struct {
		name     string
		schema   string
		reason   string // a part of the 422 message
		panicked bool   // the parser panics on it
	}{
		{
			name:     "an empty union with a default",
			schema:   `{"type":"record","name":"A","fields":[{"name":"A000","type":[],"default":null}]}`,
			reason:   "index out of range",
			panicked: true,
		},
		{"a record without fields", `{"type":"record","name":"Broken"}`, "fields", false},
		{"a fixed of negative size", `{"type":"fixed","name":"F","size":-1}`, "size", false},
		{"a type nobody defined", `{"type":"record","name":"A","fields":[{"name":"a","type":"Nowhere"}]}`, "Nowhere", false},
		{"text that is not JSON", `{"type":`, "not JSON", false},
	}
	e := fresh(t)
	ctx := context.Background()
	const subject = "invalid-value"
	invalid := func(what string, err error, reason string) {
		t.Helper()
		re := responseError(t, err)
		if re.StatusCode != http.StatusUnprocessableEntity || re.ErrorCode != sr.ErrInvalidSchema.Code {
			t.Errorf("%s: HTTP %d error_code %d (%s), want 422 and %d", what, re.StatusCode, re.ErrorCode, re.Message, sr.ErrInvalidSchema.Code)
		}
		if !strings.Contains(re.Message, "Invalid schema") || !strings.Contains(re.Message, reason) {
			t.Errorf("%s: message %q does not say the schema is invalid because of %q", what, re.Message, reason)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.cl.CreateSchema(ctx, subject, sr.Schema{Schema: c.schema})
			invalid("register", err, c.reason)
			_, err = e.cl.CheckCompatibility(ctx, subject, -2, sr.Schema{Schema: c.schema})
			invalid("check compatibility", err, c.reason)

			logged := e.logs.matching("level=ERROR", "panicked", "stack=")
			if c.panicked && len(logged) != 2 {
				t.Errorf("the parser's panic was logged at ERROR with its stack %d times, want once per request:\n%s", len(logged), strings.Join(e.logs.lines, "\n"))
			}
			if !c.panicked && len(e.logs.matching("level=ERROR")) != 0 {
				t.Errorf("a schema the parser refuses was logged at ERROR:\n%s", strings.Join(e.logs.lines, "\n"))
			}
			e.logs.reset()
		})
	}
	if _, err := e.cl.Schemas(ctx, subject); responseError(t, err).ErrorCode != sr.ErrSubjectNotFound.Code {
		t.Fatalf("refused schemas left the subject behind: %v", err)
	}
	// Nothing was left half done (the write token, the catalog's lock): the
	// next registration goes through at once.
	if ss := e.register(subject, user(fID)); ss.Version != 1 {
		t.Fatalf("the first valid schema became version %d, want 1", ss.Version)
	}
}

// A schema the parser panics on, found in the topic (written by another
// registry), makes Open fail with an error naming the record, not crash the
// process that opens the registry.
func TestOpenRefusesAStoredSchemaTheParserPanicsOn(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	defer cluster.Close()
	registrytest.CreateTopic(t, cluster.ListenAddrs())
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const schema = `{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"A000\",\"type\":[],\"default\":null}]}`
	rec := &kgo.Record{
		Key:   []byte(`{"keytype":"SCHEMA","subject":"a-value","version":1,"magic":1}`),
		Value: []byte(`{"subject":"a-value","version":1,"id":1,"schemaType":"AVRO","schema":"` + schema + `"}`),
	}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}

	reg, err := registry.Open(ctx, []kgo.Opt{kgo.SeedBrokers(cluster.ListenAddrs()...)}, topic, registry.WithLogger(testLogger(t)))
	if err == nil {
		reg.Close()
		t.Fatal("Open accepted a topic holding a schema the parser cannot parse")
	}
	for _, want := range []string{`subject "a-value" version 1`, "panicked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open's error %q does not mention %q", err, want)
		}
	}
}
