package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kprom"
)

// Kafka returns the franz-go hooks that count the traffic of the clients
// of one component (name: "results", "projector.events", "eventlog", …)
// as mallbots_kafka_* with the label client="<name>": connections, bytes
// and errors per broker, records and bytes produced and fetched per topic,
// and records buffered. Give it with kgo.WithHooks.
//
// kprom registers its collectors when a client starts and unregisters them
// when it closes, and panics when two live clients register the same ones;
// a component makes several clients from one option list (the event-log
// reader opens one per reconciliation), so the hooks here register once,
// on the first client, and never unregister: the counters of a component
// outlive its clients. The same name returns the same hooks.
func (m *Metrics) Kafka(name string) kgo.Hook {
	if m == nil {
		return noHooks{}
	}
	m.kafkaMu.Lock()
	defer m.kafkaMu.Unlock()
	if h, ok := m.kafka[name]; ok {
		return h
	}
	h := &kafkaHooks{Metrics: kprom.NewMetrics(Namespace,
		kprom.Registerer(m.reg),
		kprom.Gatherer(m.reg),
		kprom.Subsystem("kafka"),
		kprom.WithStaticLabel(prometheus.Labels{"client": name}),
		kprom.FetchAndProduceDetail(kprom.ByTopic, kprom.Records, kprom.UncompressedBytes, kprom.ConsistentNaming),
	)}
	m.kafka[name] = h
	return h
}

// kafkaHooks are kprom's hooks, registered once for all the clients of a
// component.
type kafkaHooks struct {
	*kprom.Metrics
	once sync.Once
}

// OnNewClient registers kprom's collectors on the first client only.
func (h *kafkaHooks) OnNewClient(cl *kgo.Client) { h.once.Do(func() { h.Metrics.OnNewClient(cl) }) }

// OnClientClosed keeps the collectors: other clients of the component may
// still use them, and counters should not vanish with a client.
func (h *kafkaHooks) OnClientClosed(*kgo.Client) {}

// noHooks is what a nil *Metrics hands out: a hook that hooks nothing.
type noHooks struct{}
