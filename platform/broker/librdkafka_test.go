package broker

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// librdkafka (kcat, confluent-kafka) turns SASL on only when ApiVersions
// advertises SaslHandshake from v0, which kfake does not: the embedded
// broker advertises 0..1 as Kafka does and lists everything else as kfake
// does (docs/adr/0020-kafka-acls-enforced.md).
func TestTheBrokerAdvertisesTheSASLHandshakeLibrdkafkaNeeds(t *testing.T) {
	ctx := context.Background()
	b, err := Start(ctx, t.TempDir(), WithAddr("127.0.0.1:0"), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	var handshake, produce bool
	for _, k := range resp.ApiKeys {
		switch k.ApiKey {
		case 17:
			handshake = k.MinVersion == 0 && k.MaxVersion >= 1
		case 0:
			produce = k.MaxVersion > 0
		}
	}
	if !handshake || !produce || resp.ErrorCode != 0 {
		t.Errorf("ApiVersions v%d: error %d, SaslHandshake from v0 %v, Produce listed %v: want 0, true, true", resp.GetVersion(), resp.ErrorCode, handshake, produce)
	}
}
