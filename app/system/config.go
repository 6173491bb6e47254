// Package system wires MallBots together: the embedded infrastructure
// (broker, schema registry, ClickHouse) or external addresses, the topics,
// the migrations, the aggregate processors, the views, the projections and
// the HTTP API, with readiness and a clean shutdown. `mallbots run` and the
// integration tests start the same System.
package system

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/processors/depot/bots"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/views/warehouse"
)

// Config says what to run and where. Empty external addresses mean the
// embedded default.
type Config struct {
	// DataDir holds everything the embedded setup keeps: kafka/, clickhouse/,
	// goka/ (local state stores). Default ./.mallbots.
	DataDir string
	// HTTPAddr is the API's listen address. Default 127.0.0.1:8080.
	HTTPAddr string
	// KafkaAddr is the embedded broker's listen address. Default 127.0.0.1:9092.
	KafkaAddr string
	// RegistryAddr is the embedded schema registry's address. Default 127.0.0.1:8081.
	RegistryAddr string
	// ClickHouseTCPAddr is the managed ClickHouse server's native address.
	// Default 127.0.0.1:9000.
	ClickHouseTCPAddr string

	// Brokers, when set, replaces the embedded broker.
	Brokers []string
	// ReplicationFactor and MinInsyncReplicas, with Brokers, replicate the
	// topics this instance creates (topics.ForCluster; 0: the default for
	// the cluster's size, 3 and 2 on three brokers or more). The embedded
	// broker is a single broker: 1 and 1, and more is an error.
	ReplicationFactor int16
	MinInsyncReplicas int
	// SchemaRegistry, when set, replaces the embedded registry (a URL).
	SchemaRegistry string
	// ClickHouse, when set, replaces the managed server (host:port, native).
	ClickHouse string
	// ClickHouseCluster, with ClickHouse, migrates the warehouse ON CLUSTER
	// with replicated tables (warehouse.OnCluster); the managed server is
	// one node, so it needs ClickHouse. Default: one server.
	ClickHouseCluster string
	// ClickHouseUser and ClickHousePassword authenticate the projector on an
	// external ClickHouse (from the environment, never from flags).
	ClickHouseUser, ClickHousePassword string

	// Kafka is how every Kafka client of this instance encrypts (TLS) and
	// which SASL mechanism it uses (security.go). Its Username and Password
	// are used by every component only towards external brokers without
	// KafkaCredentialsDir; otherwise each component authenticates as its
	// own principal (principals.go).
	Kafka kafkaauth.Config
	// KafkaCredentialsDir, with Brokers, holds a file per principal named
	// after its user name (mallbots-stores) with its password: each
	// component authenticates as its own principal (mechanism
	// SCRAM-SHA-512 unless Kafka.Mechanism says). The embedded broker
	// keeps its own in <DataDir>/credentials/kafka.
	KafkaCredentialsDir string
	// InsecureKafkaNoAuth runs the embedded broker without SASL and ACLs:
	// anyone who reaches it may rewrite or delete the event log. Start
	// logs a warning. Default off: the embedded broker requires
	// SASL/SCRAM-SHA-512 and enforces the catalogue's ACLs
	// (docs/adr/0020-kafka-acls-enforced.md).
	InsecureKafkaNoAuth bool
	// ChainKey keys the hash chain of every aggregate's events with
	// HMAC-SHA-256 (engine.WithChainKey, docs/adr/0021). Every instance
	// must hold the same key. Default none: plain SHA-256.
	ChainKey []byte
	// ChainSwitchForMeasurement is engine.WithChainSwitchForMeasurement's
	// switch: while it holds true, the aggregates write their events
	// outside the hash chain. Only tools/bench sets it, to measure what the
	// chain costs on one instance in one run (docs/benchmarks.md); no flag
	// does, and a log written so fails verify. Default nil: always chained.
	ChainSwitchForMeasurement *atomic.Bool
	// RegistryUser and RegistryPassword authenticate to an external schema
	// registry with HTTP basic auth (from the environment or files only).
	RegistryUser, RegistryPassword string
	// InstanceID names this instance in its Kafka client ids
	// ("mallbots-<id>-<group>"), so that a consumer group's description shows
	// which instance owns which partitions. Default: the host name.
	InstanceID string
	// HotStandby keeps every partition of each processor group's table up to
	// date on this instance, not only the assigned ones, and recovers them
	// before joining the group (goka's WithHotStandby and WithRecoverAhead):
	// a partition taken over from a failed instance needs no table recovery.
	// It costs a full copy of each table per instance (disk, network).
	HotStandby bool
	// SessionTimeout is the processors' consumer-group session timeout
	// (gokart.WithSessionTimeout; 0: gokart's default).
	SessionTimeout time.Duration

	// EmbeddedBrokers is how many nodes the embedded broker runs
	// (broker.WithBrokers): more than one is a cluster on the ports after
	// KafkaAddr's, for the multi-broker tests and `mallbots chaos
	// --scenario brokers`; it replicates nothing. Default 1.
	EmbeddedBrokers int

	// SyncWrites makes the embedded broker fsync every batch.
	SyncWrites bool
	// RequestTimeout bounds how long a write waits for its result. Default 5 s.
	RequestTimeout time.Duration
	// FlushInterval bounds how long the projector batches. Default 250 ms.
	FlushInterval time.Duration
	// SagaStepTimeout is how long a create-order saga step waits for its
	// reply before it fails. Default 10 s.
	SagaStepTimeout time.Duration
	// Bots is the number of bots in the depot's pool (bot-1..bot-N).
	// Default 3; NoBots (any negative number) runs no pool, as --bots=0 does.
	Bots int
	// BotShoppingTime is how long a bot shops for one list. Default 200 ms.
	BotShoppingTime time.Duration

	// OTLPEndpoint, when set, exports traces over OTLP/HTTP to this
	// collector URL (e.g. http://otel-collector:4318); empty: no export.
	OTLPEndpoint string
	// TracerProvider, when set, traces with it instead (tests record spans
	// in memory); it wins over OTLPEndpoint.
	TracerProvider trace.TracerProvider

	// Components says what this instance runs (see components.go): nil or
	// "all" is everything; names add, "-name" removes.
	Components []string

	// Auth is how the HTTP API authenticates its callers (auth.go).
	Auth AuthConfig

	Log *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.DataDir, ".mallbots")
	def(&c.HTTPAddr, "127.0.0.1:8080")
	def(&c.KafkaAddr, "127.0.0.1:9092")
	def(&c.RegistryAddr, "127.0.0.1:8081")
	def(&c.ClickHouseTCPAddr, "127.0.0.1:9000")
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.SagaStepTimeout == 0 {
		c.SagaStepTimeout = saga.DefaultStepTimeout
	}
	if c.EmbeddedBrokers == 0 {
		c.EmbeddedBrokers = 1
	}
	if c.Bots == 0 {
		c.Bots = 3
	}
	if c.BotShoppingTime == 0 {
		c.BotShoppingTime = bots.DefaultShoppingTime
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = 250 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	var errs []error
	if c.RequestTimeout < 0 {
		errs = append(errs, errors.New("the request timeout must be positive"))
	}
	if c.ClickHouseCluster != "" && c.ClickHouse == "" {
		errs = append(errs, errors.New("--clickhouse-cluster migrates an external ClickHouse cluster: give --clickhouse too (the managed server is a single node)"))
	}
	if err := warehouse.CheckClusterName(c.ClickHouseCluster); err != nil {
		errs = append(errs, fmt.Errorf("--clickhouse-cluster: %w", err))
	}
	if c.EmbeddedBrokers < 1 {
		errs = append(errs, errors.New("the embedded broker needs at least one node"))
	}
	if c.BotShoppingTime < 0 {
		errs = append(errs, errors.New("the bots' shopping time cannot be negative"))
	}
	if err := validComponents(c.Components); err != nil {
		errs = append(errs, err)
	}
	c, secErrs := c.withSecurity()
	errs = append(errs, secErrs...)
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		errs = append(errs, err)
	}
	c.DataDir = abs
	c, authErrs := c.withAuthDefaults()
	errs = append(errs, authErrs...)
	return c, errors.Join(errs...)
}

func (c Config) dir(parts ...string) string {
	return filepath.Join(append([]string{c.DataDir}, parts...)...)
}
