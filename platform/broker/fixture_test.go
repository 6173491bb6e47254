package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// compactionConfig is a broker on dir whose compactor runs only when a
// spec asks it (check).
func compactionConfig(dir string) config {
	return newConfig(dir, []Option{WithAddr("127.0.0.1:0"), WithCompactEvery(time.Hour), WithMinDirtyBytes(1 << 10), WithMinCompactInterval(-1),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
}

// withTable starts a broker on cfg holding "table", compacted, and "log",
// not compacted, one partition each (created unless they exist), and
// returns it with write, which produces n records of 200 bytes to a topic,
// each its own batch, over 10 keys. The broker is the caller's to close.
func withTable(t *testing.T, cfg config) (b *Broker, write func(topic string, n int)) {
	t.Helper()
	ctx := context.Background()
	b, err := start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	compact := "compact"
	for topic, configs := range map[string]map[string]*string{"table": {"cleanup.policy": &compact}, "log": nil} {
		if _, err := adm.CreateTopic(ctx, 1, 1, configs, topic); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			t.Fatal(err)
		}
	}
	value := strings.Repeat("v", 200)
	return b, func(topic string, n int) {
		t.Helper()
		for i := range n {
			r := &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "key-%d", i%10), Value: []byte(value)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
