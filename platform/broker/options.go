package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mallbots/mallbots/platform/kafkaauth"
)

// Option configures the embedded broker (Start).
type Option func(*config)

type config struct {
	dir                string // Start's argument
	addr               string
	brokers            int
	syncWrites         bool
	compactEvery       time.Duration
	minDirtyBytes      int64
	minCompactInterval time.Duration
	sasl               kafkaauth.Config
	acls               *enforced
	log                *slog.Logger
}

func newConfig(dir string, opts []Option) config {
	c := config{
		dir:                dir,
		addr:               "127.0.0.1:9092",
		brokers:            1,
		compactEvery:       10 * time.Second,
		minDirtyBytes:      8 << 20,
		minCompactInterval: 5 * time.Minute,
		log:                slog.Default(),
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func (c config) validate() error {
	var errs []error
	if c.dir == "" {
		errs = append(errs, errors.New("embedded broker: the data directory is empty"))
	}
	if c.brokers < 1 {
		errs = append(errs, fmt.Errorf("WithBrokers(%d): want at least one broker", c.brokers))
	}
	if c.compactEvery <= 0 {
		errs = append(errs, fmt.Errorf("WithCompactEvery(%s): want a positive duration", c.compactEvery))
	}
	if c.log == nil {
		errs = append(errs, errors.New("WithLogger(nil): give a logger"))
	}
	if c.acls != nil {
		if c.sasl.SASL() {
			errs = append(errs, errors.New("WithSASL and WithEnforcedACLs: choose one"))
		}
		errs = append(errs, c.acls.validate())
	}
	return errors.Join(errs...)
}

// WithAddr sets the listen address. Default "127.0.0.1:9092"; port 0 picks
// a free one.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithBrokers runs a cluster of n brokers (node ids 0..n-1) sharing one
// log instead of a single broker. The first listens on WithAddr's address,
// the others on the ports after it, or on free ports when its port is 0.
// Partition leadership, group coordination and the controller (the last
// node) are spread over the nodes as on a Kafka cluster, and kfake's
// per-node controls (Cluster) move leadership or take a node away: the
// multi-broker tests and `mallbots chaos --scenario brokers` use it. The
// nodes share one process and one data directory, so it replicates
// nothing: it tests the clients, not durability. Default 1.
func WithBrokers(n int) Option { return func(c *config) { c.brokers = n } }

// WithSyncWrites fsyncs every produced batch: the log survives a machine
// crash, not only a process crash, at a cost in throughput
// (docs/architecture.md, Runtime). Default off.
func WithSyncWrites() Option { return func(c *config) { c.syncWrites = true } }

// WithCompactEvery sets how often the compactor checks whether the
// compacted topics are dirty enough to compact (compactor.go). Default 10s.
func WithCompactEvery(d time.Duration) Option { return func(c *config) { c.compactEvery = d } }

// WithMinDirtyBytes sets how much the compacted topics must have grown
// since the last compaction, at least, before another. Default 8 MiB.
func WithMinDirtyBytes(n int64) Option { return func(c *config) { c.minDirtyBytes = n } }

// WithMinCompactInterval sets the least time between two compactions (the
// broker answers nothing while it compacts). Default 5 min; negative for
// none.
func WithMinCompactInterval(d time.Duration) Option {
	return func(c *config) { c.minCompactInterval = d }
}

// WithSASL makes the broker require SASL when sasl names a mechanism: its
// user is a superuser (kafkaauth.Config.BrokerOpts). The users are exactly
// these at every start: the users file a previous run persisted in the
// data directory is removed first. Default: no SASL.
func WithSASL(sasl kafkaauth.Config) Option { return func(c *config) { c.sasl = sasl } }

// WithLogger sets the logger of the broker and its compactor. Default
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// logger routes kfake's errors and warnings to the WithLogger logger; its
// info and debug lines are per-request noise.
type logger struct{ l *slog.Logger }

func (g logger) Logf(level kfake.LogLevel, msg string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		g.l.Error(fmt.Sprintf(msg, args...), "component", "kafka")
	case kfake.LogLevelWarn:
		g.l.Warn(fmt.Sprintf(msg, args...), "component", "kafka")
	}
}
