package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kfake answers SaslHandshake v1 only and says so in ApiVersions (min 1).
// librdkafka — kcat and confluent-kafka, the external producers' tools —
// enables SASL only when SaslHandshake v0 is in the advertised range
// ("SASL Handshake not supported by broker"), although it then sends v1.
// So the embedded broker's ApiVersions answer is kfake's own, read once at
// start, with SaslHandshake advertised from v0, as a Kafka broker does; a
// v0 handshake is still refused by kfake (UNSUPPORTED_VERSION), which no
// client here sends. A request version kfake does not know is left to it
// (KIP-511's answer).
const saslHandshakeKey = 17

func advertiseSASLHandshakeV0(ctx context.Context, c *kfake.Cluster) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("read the embedded broker's ApiVersions: %w", err)
	}
	var maxVersion int16 = -1
	keys := make([]kmsg.ApiVersionsResponseApiKey, len(resp.ApiKeys))
	for i, k := range resp.ApiKeys {
		if k.ApiKey == saslHandshakeKey {
			k.MinVersion = 0
		}
		if k.ApiKey == 18 {
			maxVersion = k.MaxVersion
		}
		keys[i] = k
	}
	base := *resp
	base.ApiKeys = keys
	c.ControlKey(18, func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if req.GetVersion() > maxVersion {
			return nil, nil, false
		}
		out := base
		out.SetVersion(req.GetVersion())
		return &out, nil, true
	})
	return nil
}
