// Package broker runs the embedded Kafka-protocol broker of the default
// setup: franz-go's kfake, persisted under a data directory (so state
// survives restarts), with compaction running for the compacted topics,
// listening on a loopback address any Kafka client can use.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/kafkaauth"
)

// Config configures the embedded broker.
type Config struct {
	// Dir holds the broker's segments, offsets and metadata.
	Dir string
	// Addr is the listen address, default "127.0.0.1:9092"; port 0 picks one.
	Addr string
	// SyncWrites fsyncs every produced batch: survives a machine crash, not
	// only a process crash, at a cost in throughput (docs/architecture.md,
	// Runtime).
	SyncWrites bool
	// CompactEvery is how often the compactor checks whether the compacted
	// topics are dirty enough to compact (compactor.go); default 10 s.
	CompactEvery time.Duration
	// MinDirtyBytes is how much the compacted topics must have grown since
	// the last compaction, at least, before another; default 8 MiB.
	MinDirtyBytes int64
	// MinCompactInterval is the least time between two compactions (the
	// broker answers nothing while it compacts); default 5 min, -1 for none.
	MinCompactInterval time.Duration
	// SASL, when it names a mechanism, makes the broker require SASL: its
	// user is a superuser (kafkaauth.Config.BrokerOpts). The users are
	// exactly these at every start: the users file a previous run
	// persisted under Dir is removed first.
	SASL kafkaauth.Config
	Log  *slog.Logger
}

// segmentBytes is the size at which the broker starts a new segment file
// of a partition (kfake's default is 100 MiB, Kafka's 1 GiB). kfake reads
// each segment whole into memory when it starts, every partition at once,
// so with 100 MiB segments a start held about the whole log at its peak:
// 6.3 GiB resident after the full benchmark; on a log of 1.2 GiB, 1.3 GiB
// for a warm `mallbots run`, 523 MiB with 8 MiB segments
// (docs/benchmarks.md). A roll costs a file closed and one opened.
const segmentBytes = 8 << 20

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	client  []kgo.Opt // what a client of this broker needs (SASL)

	fence         *produceFence // up while a compaction's backup stands
	compacting    chan struct{} // closed when the compactor has stopped
	stopCompactor func()
}

// Start starts the broker and waits until it answers.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:9092"
	}
	if cfg.CompactEvery == 0 {
		cfg.CompactEvery = 10 * time.Second
	}
	if cfg.MinCompactInterval == 0 {
		cfg.MinCompactInterval = 5 * time.Minute
	}
	if cfg.MinDirtyBytes == 0 {
		cfg.MinDirtyBytes = 8 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("kafka address %q: %w (want host:port)", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("kafka address %q: bad port", cfg.Addr)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				return nil, fmt.Errorf("listen on %s: %w (is another broker running? pick another --kafka-addr)", cfg.Addr, err)
			}
			return ln, nil
		}),
		kfake.DataDir(cfg.Dir),
		kfake.BrokerConfigs(map[string]string{
			"log.cleaner.backoff.ms": strconv.FormatInt(neverMs, 10), // the compactor decides
			"log.segment.bytes":      strconv.Itoa(segmentBytes),
		}),
		kfake.WithLogger(logger{cfg.Log}),
		// The processors' groups run with a session timeout under kfake's
		// (and Kafka's) 6 s minimum, so that a killed instance's
		// partitions move within seconds (gokart.SessionTimeout).
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	// kfake restores persisted users over the configured ones; the
	// configured credentials are the truth here.
	if err := os.Remove(filepath.Join(cfg.Dir, "sasl.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reset the embedded broker's users: %w", err)
	}
	opts = append(opts, cfg.SASL.BrokerOpts()...)
	if _, err := restoreBackup(cfg.Dir, cfg.Log); err != nil {
		return nil, fmt.Errorf("embedded broker: put back the compacted topics of an interrupted compaction from %s: %w", filepath.Join(cfg.Dir, backupDir), err)
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start the embedded broker in %s: %w", cfg.Dir, err)
	}
	b := &Broker{cluster: c, client: cfg.SASL.KgoOpts(), fence: &produceFence{cluster: c}}
	if err := b.ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	comp, admin, err := newCompactor(b, cfg)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("embedded broker: compactor: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.compacting = make(chan struct{})
	b.stopCompactor = func() {
		cancel()
		<-b.compacting
		admin.Close()
	}
	go func() {
		defer close(b.compacting)
		comp.run(runCtx)
	}()
	return b, nil
}

func (b *Broker) ping(ctx context.Context) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addrs()...)}, b.client...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("the embedded broker does not answer on %v: %w", b.Addrs(), err)
	}
	return nil
}

// Addrs are the broker's listen addresses.
func (b *Broker) Addrs() []string { return b.cluster.ListenAddrs() }

// Close stops the broker, flushing its state to disk.
func (b *Broker) Close() {
	b.stopCompactor()
	b.cluster.Close()
}

// Cluster exposes kfake for tests (faults, compaction on demand).
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

type logger struct{ l *slog.Logger }

func (g logger) Logf(level kfake.LogLevel, msg string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		g.l.Error(fmt.Sprintf(msg, args...), "component", "kafka")
	case kfake.LogLevelWarn:
		g.l.Warn(fmt.Sprintf(msg, args...), "component", "kafka")
	}
}
