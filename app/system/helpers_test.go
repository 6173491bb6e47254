package system_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/gokart"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
)

func positionOf(rec *kgo.Record) serde.Position {
	return serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
}

func eventIDOf(v any) string {
	if ev, ok := v.(schemas.Event); ok {
		return ev.EventMetadata().EventID
	}
	return ""
}

// statusReaches polls GET path until it answers 200 with the status want:
// the views follow the processors, so a state shows there a little later.
func statusReaches(t *testing.T, path, want string, within time.Duration) testkit.Response {
	t.Helper()
	var last testkit.Response
	testkit.Eventually(t, within, func() (bool, string) {
		last = api(t).Do("GET", path, nil)
		return last.Status == 200 && last.S("status") == want, fmt.Sprintf("%s: %d %s", path, last.Status, last.Raw)
	})
	return last
}

// kafkaAs are the options of a Kafka client of the test system that
// authenticates as the principal of role (the broker enforces ACLs). A test
// that reads or forges records as an operator would is the admin.
func kafkaAs(t *testing.T, role string) []kgo.Opt {
	t.Helper()
	opts, err := sys.KafkaOpts(role)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// runtimeAs is a goka runtime with its own state directory whose clients
// authenticate as the principal of role.
func runtimeAs(t *testing.T, role string, log *slog.Logger) gokart.Runtime {
	t.Helper()
	auth, err := sys.KafkaAuth(role)
	if err != nil {
		t.Fatal(err)
	}
	return gokart.New(t.TempDir(), gokart.WithLogger(log), gokart.WithSarama(auth.Sarama),
		gokart.WithKafka(append([]kgo.Opt{kgo.SeedBrokers(sys.Brokers()...)}, auth.KgoOpts()...)...))
}
