// Package broker runs the embedded Kafka-protocol broker of the default
// setup: franz-go's kfake, persisted under a data directory (so state
// survives restarts), with compaction running for the compacted topics,
// listening on a loopback address any Kafka client can use.
package broker

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

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
	brokers int       // nodes started (WithBrokers)
	nodes   *nodes    // their addresses and connections (nodes.go)

	fence         *produceFence // up while a compaction's backup stands
	compacting    chan struct{} // closed when the compactor has stopped
	stopCompactor func()
}

// Start starts the broker on the data directory dir, which holds its
// segments, offsets and metadata, and waits until it answers.
func Start(ctx context.Context, dir string, opts ...Option) (*Broker, error) {
	cfg := newConfig(dir, opts)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return start(ctx, cfg)
}

func start(ctx context.Context, cfg config) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("kafka address %q: %w (want host:port)", cfg.addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("kafka address %q: bad port", cfg.addr)
	}
	tracked := newNodes()
	ports := make([]int, cfg.brokers)
	for i := range ports {
		if port != 0 {
			ports[i] = port + i
		}
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(cfg.brokers),
		kfake.Ports(ports...),
		// kfake asks for 127.0.0.1:<port>; the host is the configured
		// one. A node added back (Cluster.AddNode) listens the same way.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, p, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			at := net.JoinHostPort(host, p)
			ln, err := net.Listen(network, at)
			if err != nil {
				return nil, fmt.Errorf("listen on %s: %w (is another broker running? pick another --kafka-addr)", at, err)
			}
			return tracked.listen(ln), nil
		}),
		kfake.DataDir(cfg.dir),
		kfake.BrokerConfigs(map[string]string{
			"log.cleaner.backoff.ms": strconv.FormatInt(neverMs, 10), // the compactor decides
			"log.segment.bytes":      strconv.Itoa(segmentBytes),
		}),
		kfake.WithLogger(logger{cfg.log}),
		// The processors' groups run with a session timeout under kfake's
		// (and Kafka's) 6 s minimum, so that a killed instance's
		// partitions move within seconds (gokart.SessionTimeout).
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if cfg.syncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	// kfake restores persisted users and ACLs over the configured ones;
	// the configured ones are the truth here.
	if err := resetPersisted(cfg.dir); err != nil {
		return nil, err
	}
	opts = append(opts, cfg.sasl.BrokerOpts()...)
	client := cfg.sasl.KgoOpts()
	if cfg.acls != nil {
		aclOpts, err := cfg.acls.kfakeOpts()
		if err != nil {
			return nil, err
		}
		opts = append(opts, aclOpts...)
		client = cfg.acls.client().KgoOpts()
	}
	if _, err := restoreBackup(cfg.dir, cfg.log); err != nil {
		return nil, fmt.Errorf("embedded broker: put back the compacted topics of an interrupted compaction from %s: %w", filepath.Join(cfg.dir, backupDir), err)
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start the embedded broker in %s: %w", cfg.dir, err)
	}
	b := &Broker{cluster: c, client: client, fence: &produceFence{cluster: c}, brokers: cfg.brokers, nodes: tracked}
	for i, addr := range c.ListenAddrs() { // node i is the i-th started
		tracked.addrs[int32(i)] = addr
	}
	if err := advertiseSASLHandshakeV0(ctx, c); err != nil {
		c.Close()
		return nil, err
	}
	if err := b.ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if cfg.acls != nil {
		if err := cfg.acls.ensure(ctx, b.Addrs()); err != nil {
			c.Close()
			return nil, err
		}
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
