package registry_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/registry"
)

// failProduces makes the broker answer every produce to the schemas topic
// with err until the returned function is called.
func failProduces(e *env, err *kerr.Error) (remove func()) {
	h := e.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: err, Count: -1})
	return h.Remove
}

// A registration whose record the broker refuses is answered with a store
// error and is not served, neither now nor after a restart.
func TestRefusedWriteIsNotServed(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir, registry.WithWriteTimeout(2*time.Second))
	ctx := context.Background()
	v1 := e.register("users-value", user(fID))

	remove := failProduces(e, kerr.TopicAuthorizationFailed)
	_, err := e.cl.CreateSchema(ctx, "users-value", sr.Schema{Schema: user(fID, fEmail)})
	re := responseError(t, err)
	if re.StatusCode != http.StatusInternalServerError || re.ErrorCode != sr.ErrStoreError.Code {
		t.Fatalf("got HTTP %d error_code %d (%s), want 500 and %d", re.StatusCode, re.ErrorCode, re.Message, sr.ErrStoreError.Code)
	}
	if vs := e.versions("users-value"); len(vs) != 1 {
		t.Fatalf("an unpersisted version is served: %v", vs)
	}
	if _, err := e.cl.LookupSchema(ctx, "users-value", sr.Schema{Schema: user(fID, fEmail)}); err == nil {
		t.Fatal("an unpersisted schema is found by lookup")
	}
	remove()

	v2 := e.register("users-value", user(fID, fAge))
	if v2.Version != 2 || v2.ID != v1.ID+1 {
		t.Fatalf("after the broker recovered: version %d id %d, want version 2 id %d", v2.Version, v2.ID, v1.ID+1)
	}
	before := snapshot(e, []string{"users-value"})
	e.stop()
	e = start(t, dir)
	if after := snapshot(e, []string{"users-value"}); len(after) != 2 || after[1] != before[1] {
		t.Fatalf("after restart: %v, want %v", after, before)
	}
}

// A registration whose record lands although the broker reports an error is
// not lost and not duplicated: a retry returns the id it was to get, and later
// versions come after it. Either the producer keeps retrying until the broker
// confirms (the record is applied when it does), or it gives up (the next
// write re-reads the topic and finds the record).
func TestWriteReportedFailedButStoredIsRecovered(t *testing.T) {
	for _, c := range []struct {
		name  string
		kafka []kgo.Opt
	}{
		{"the producer retries until the broker confirms", nil},
		// An idempotent producer never gives up on a record it has sent;
		// a plain one with one try does.
		{"the producer gives up", []kgo.Opt{kgo.DisableIdempotentWrite(), kgo.RecordRetries(1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			e := startWith(t, dir, c.kafka, registry.WithWriteTimeout(2*time.Second))
			ctx := context.Background()
			v1 := e.register("users-value", user(fID))

			remove := failProduces(e, kerr.NotEnoughReplicasAfterAppend) // appended, then reported failed
			_, err := e.cl.CreateSchema(ctx, "users-value", sr.Schema{Schema: user(fID, fEmail)})
			if re := responseError(t, err); re.StatusCode != http.StatusInternalServerError {
				t.Fatalf("got HTTP %d (%s), want 500", re.StatusCode, re.Message)
			}
			// A known schema needs no write: it is answered while the
			// broker is still failing.
			if id, err := e.cl.RegisterSchema(ctx, "users-value", sr.Schema{Schema: user(fID)}, -1, -1); err != nil || id != v1.ID {
				t.Fatalf("re-registering version 1 while the broker fails: id %d (%v), want %d", id, err, v1.ID)
			}
			remove()

			retried := e.register("users-value", user(fID, fEmail))
			v3 := e.register("users-value", user(fID, fEmail, fAge))
			if retried.Version != 2 || v3.Version != 3 || v3.ID != retried.ID+1 {
				t.Fatalf("retry got version %d id %d, next got version %d id %d; want 2 and 3 with consecutive ids",
					retried.Version, retried.ID, v3.Version, v3.ID)
			}
			before := snapshot(e, []string{"users-value"})
			e.stop()
			e = start(t, dir)
			if after := snapshot(e, []string{"users-value"}); !reflect.DeepEqual(after, before) {
				t.Fatalf("after restart: %v, want %v", after, before)
			}
		})
	}
}
