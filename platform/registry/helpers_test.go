package registry_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/registry"
	"github.com/mallbots/mallbots/platform/registry/registrytest"
	"github.com/mallbots/mallbots/topics"
)

// topic is the registry's topic, the one registrytest.CreateTopic creates.
var topic = topics.Schemas.Name

// env is one broker, one registry on it and a client of that registry.
type env struct {
	t       *testing.T
	cluster *kfake.Cluster
	reg     *registry.Registry
	srv     *httptest.Server
	cl      *sr.Client
	logs    *testWriter // what the registry logged
	stopped bool
}

// start runs a broker persisting to dir and a registry on it. A fresh dir
// gets the compacted topic created; an existing one has it already. cfg's
// Kafka options are added after the seed brokers; Topic and Log are set here.
func start(t *testing.T, dir string, opts ...registry.Option) *env {
	t.Helper()
	return startWith(t, dir, nil, opts...)
}

// startWith is start with kafka options added after the seed brokers.
func startWith(t *testing.T, dir string, kafka []kgo.Opt, opts ...registry.Option) *env {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(dir))
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	e := &env{t: t, cluster: cluster}
	t.Cleanup(e.stop)
	registrytest.CreateTopic(t, cluster.ListenAddrs())

	kafka = append([]kgo.Opt{kgo.SeedBrokers(cluster.ListenAddrs()...)}, kafka...)
	e.logs = &testWriter{t: t}
	opts = append(opts, registry.WithLogger(slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.reg, err = registry.Open(ctx, kafka, topic, opts...)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	e.srv = httptest.NewServer(e.reg.Handler())
	e.cl, err = sr.NewClient(sr.URLs(e.srv.URL))
	if err != nil {
		t.Fatalf("create registry client: %v", err)
	}
	return e
}

// fresh is start with the default config on a fresh data dir: what most
// tests need, a registry that has seen nothing yet.
func fresh(t *testing.T) *env {
	t.Helper()
	return start(t, t.TempDir())
}

// stop closes the server, the registry and the broker, in that order.
func (e *env) stop() {
	if e.stopped {
		return
	}
	e.stopped = true
	if e.srv != nil {
		e.srv.Close()
	}
	if e.reg != nil {
		e.reg.Close()
	}
	e.cluster.Close()
}

// register registers schema under subject and fails the test on error.
func (e *env) register(subject, schema string) sr.SubjectSchema {
	e.t.Helper()
	ss, err := e.cl.CreateSchema(context.Background(), subject, sr.Schema{Schema: schema})
	if err != nil {
		e.t.Fatalf("register under %s: %v", subject, err)
	}
	return ss
}

// versions lists the registered versions of subject, ids included.
func (e *env) versions(subject string) []sr.SubjectSchema {
	e.t.Helper()
	ss, err := e.cl.Schemas(context.Background(), subject)
	if err != nil {
		e.t.Fatalf("list versions of %s: %v", subject, err)
	}
	slices.SortFunc(ss, func(a, b sr.SubjectSchema) int { return a.Version - b.Version })
	return ss
}

// responseError returns err as the registry's error response, failing the
// test when it is not one.
func responseError(t *testing.T, err error) *sr.ResponseError {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want a registry error response, got %v", err)
	}
	return re
}

// testLogger writes to the test log, which go test shows only on failure.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter writes to the test log, which go test shows only on failure,
// and keeps every line for the test to read.
type testWriter struct {
	mu    sync.Mutex
	t     *testing.T
	lines []string
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := strings.TrimSuffix(string(p), "\n")
	w.t.Log(line)
	w.lines = append(w.lines, line)
	return len(p), nil
}

// reset forgets the lines logged so far.
func (w *testWriter) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = nil
}

// matching returns the lines logged so far that contain every one of parts.
func (w *testWriter) matching(parts ...string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var found []string
	for _, line := range w.lines {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
			found = append(found, line)
		}
	}
	return found
}

// user returns version variants of one Avro record, mallbots.test.User, with
// the given fields (each a JSON field object).
func user(fields ...string) string {
	return `{"type":"record","name":"User","namespace":"mallbots.test","fields":[` + strings.Join(fields, ",") + `]}`
}

const (
	fID          = `{"name":"id","type":"string"}`
	fName        = `{"name":"name","type":"string"}`
	fNameInt     = `{"name":"name","type":"int"}`
	fEmail       = `{"name":"email","type":"string","default":""}`
	fEmailNoDef  = `{"name":"email","type":"string"}`
	fAge         = `{"name":"age","type":"int","default":0}`
	fAgeNoDef    = `{"name":"age","type":"int"}`
	fPhoneNoDef  = `{"name":"phone","type":"string"}`
	fNicknameOpt = `{"name":"nickname","type":["null","string"],"default":null}`
)
