package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/registry"
)

// Open refuses a topic that could not keep schemas forever or in order.
func TestOpenRefusesUnsafeTopics(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	defer cluster.Close()
	admin, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	compact, del := "compact", "delete"
	for name, c := range map[string]struct {
		partitions int32
		policy     *string
	}{
		"_schemas_expiring":    {1, &del},
		"_schemas_partitioned": {3, &compact},
	} {
		if _, err := adm.CreateTopic(ctx, c.partitions, 1, map[string]*string{"cleanup.policy": c.policy}, name); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	for _, name := range []string{"_schemas_missing", "_schemas_expiring", "_schemas_partitioned"} {
		reg, err := registry.Open(ctx, []kgo.Opt{kgo.SeedBrokers(cluster.ListenAddrs()...)}, name, registry.WithLogger(testLogger(t)))
		if err == nil {
			reg.Close()
			t.Fatalf("Open on %s succeeded, want a refusal", name)
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := registry.Open(ctx, nil, ""); err == nil {
		t.Fatal("Open without Kafka options or a topic succeeded")
	}
}
