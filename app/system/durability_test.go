package system

import (
	"strings"
	"testing"
)

// The embedded broker is one broker: more than one copy cannot be had
// there, and asking for it is an error rather than a silent 1.
func TestTheEmbeddedBrokerRefusesReplicationAboveOne(t *testing.T) {
	_, err := Config{ReplicationFactor: 3, MinInsyncReplicas: 2}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "the embedded broker is a single broker") {
		t.Fatalf("embedded with replication 3: %v, want the single-broker refusal", err)
	}
	if _, err := (Config{ReplicationFactor: 3, MinInsyncReplicas: 2, Brokers: []string{"kafka-1:9092"}}).withDefaults(); err != nil && strings.Contains(err.Error(), "single broker") {
		t.Fatalf("with --brokers, replication 3 is refused: %v", err)
	}
}
