// Package registrytest runs the embedded schema registry for tests that need
// it as a collaborator (the schemas command, fuzzing the HTTP API): on its
// own in-process broker, with the compacted topic it keeps schemas in,
// logging nothing. The registry's own tests, which restart brokers and read
// its log, build theirs on CreateTopic.
package registrytest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/registry"
	"github.com/mallbots/mallbots/topics"
)

// timeout bounds each step against the in-process broker.
const timeout = 30 * time.Second

// CreateTopic creates the registry's topic, single-partition and compacted
// as the registry requires, on the brokers at addrs, unless it exists: a
// broker restarted on its data directory has it already.
func CreateTopic(t testing.TB, addrs []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	compact := "compact"
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": &compact}, topics.Schemas.Name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatalf("create topic %s: %v", topics.Schemas.Name, err)
	}
}

// Start starts a one-broker in-process cluster with the registry's topic
// and a quiet registry on it; both stop when the test ends.
func Start(t testing.TB) *registry.Registry {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(cluster.Close)
	CreateTopic(t, cluster.ListenAddrs())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	reg, err := registry.Open(ctx, []kgo.Opt{kgo.SeedBrokers(cluster.ListenAddrs()...)}, topics.Schemas.Name,
		registry.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	t.Cleanup(reg.Close)
	return reg
}
