// Package gokart is goka's runtime configuration for MallBots: the sarama
// config of its consumers, its producer on franz-go (producer.go), its local
// stores (store.go), and the builders every processor, view and emitter is
// given, so that none of goka's unsafe defaults (FNV partitioning, acks from
// the leader only, a non-idempotent producer, the newest offset for a new
// group, a 100 ms flush, Kafka 2.0 protocol, topic auto-creation) is ever
// used.
package gokart

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/mallbots/mallbots/topics"
)

// The consumer-group timing of goka's processors by default. A Kafka
// broker must allow the session timeout (group.min.session.timeout.ms, 6 s
// by default in Kafka and kfake; the embedded broker and
// docker-compose.yml lower it).
const (
	SessionTimeout        = 3 * time.Second
	RebalanceRetryBackoff = 250 * time.Millisecond
)

// saramaConfig is the sarama config of goka's consumers and topic manager.
// goka's producers are franz-go clients (producer.go), so it holds no
// producer settings.
func (c Runtime) saramaConfig() *sarama.Config {
	cfg := goka.DefaultConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.ClientID = c.cfg.clientID
	// A new group starts at the oldest offset: a command sent before the
	// processor first started is still applied.
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = time.Second
	cfg.Metadata.RefreshFrequency = time.Minute
	// A killed instance's partitions move once the coordinator stops
	// hearing from it (the session timeout) and the survivors learn of the
	// rebalance (their next heartbeat): sarama's defaults made a handover
	// longer than a saga step waits for its reply (ADR 0016). A failed
	// join is retried after RebalanceRetryBackoff, not sarama's longer
	// default.
	cfg.Consumer.Group.Session.Timeout = c.cfg.sessionTimeout
	cfg.Consumer.Group.Heartbeat.Interval = cfg.Consumer.Group.Session.Timeout / 6
	cfg.Consumer.Group.Rebalance.Retry.Backoff = RebalanceRetryBackoff
	if c.cfg.sarama != nil {
		c.cfg.sarama(cfg)
	}
	return cfg
}

// copy returns a fresh config per client, with its client id: sarama
// clients keep the config they are given.
func (c Runtime) copy(clientID string) *sarama.Config {
	cfg := c.saramaConfig()
	if clientID != "" {
		cfg.ClientID = clientID
	}
	return cfg
}

func (c Runtime) consumerGroupBuilder() goka.ConsumerGroupBuilder {
	return func(brokers []string, group, clientID string) (sarama.ConsumerGroup, error) {
		cg, err := sarama.NewConsumerGroup(brokers, group, c.copy(clientID))
		if err != nil {
			return nil, err
		}
		return rejoining{cg}, nil
	}
}

// rejoining is a consumer group whose Consume rejoins the group as soon as a
// rebalance ends its session, and returns only on an error or when ctx
// ends. goka's processor waits 5 s (hard-coded) each time Consume returns
// before it joins again: out of the group meanwhile, its partitions were
// idle for those 5 s in every rebalance, and with a session timeout under
// 5 s the coordinator dropped the waiting member and the others in turn
// (ADR 0016).
type rejoining struct{ sarama.ConsumerGroup }

// rejoinPause keeps a session that ends at once (a broker refusing the
// join) from spinning.
const rejoinPause = 50 * time.Millisecond

func (g rejoining) Consume(ctx context.Context, topics []string, handler sarama.ConsumerGroupHandler) error {
	for {
		if err := g.ConsumerGroup.Consume(ctx, topics, handler); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(rejoinPause):
		}
	}
}

func (c Runtime) consumerBuilder() goka.SaramaConsumerBuilder {
	return func(brokers []string, clientID string) (sarama.Consumer, error) {
		return sarama.NewConsumer(brokers, c.copy(clientID))
	}
}

// topicManagerBuilder never creates topics: `mallbots topics apply` does,
// from the catalogue. A missing topic is a startup error that says so.
func (c Runtime) topicManagerBuilder() goka.TopicManagerBuilder {
	tmc := goka.NewTopicManagerConfig()
	tmc.NoCreate = true
	// Drift is `mallbots topics check`'s job; goka's checker would only
	// print to the standard logger about replication on a one-broker setup.
	tmc.MismatchBehavior = goka.TMConfigMismatchBehaviorIgnore
	return func(brokers []string) (goka.TopicManager, error) {
		tm, err := goka.NewTopicManager(brokers, c.copy("mallbots-topic-manager"), tmc)
		if err != nil {
			return nil, fmt.Errorf("connect to Kafka at %v: %w", brokers, err)
		}
		return tm, nil
	}
}

// ProcessorStateDir is where the processor of group keeps its local
// stores, one directory per table partition (storeDir).
func (c Runtime) ProcessorStateDir(group goka.Group) string {
	return filepath.Join(c.cfg.stateDir, "processors", string(group))
}

// ProcessorOptions are the options of the goka processor of group.
func (c Runtime) ProcessorOptions(group goka.Group) []goka.ProcessorOption {
	opts := []goka.ProcessorOption{
		goka.WithHasher(topics.Hasher()),
		goka.WithProducerBuilder(c.producerBuilder()),
		goka.WithConsumerGroupBuilder(c.consumerGroupBuilder()),
		goka.WithConsumerSaramaBuilder(c.consumerBuilder()),
		goka.WithTopicManagerBuilder(c.topicManagerBuilder()),
		goka.WithStorageBuilder(c.processorStores(group)),
		goka.WithClientID(c.cfg.clientID + "-" + string(group)),
		goka.WithLogger(c.logger("goka processor " + string(group))),
	}
	if c.cfg.hotStandby {
		opts = append(opts, goka.WithHotStandby(), goka.WithRecoverAhead())
	}
	return opts
}

// processorStores builds the stores of a processor: its own table's in a
// logStore (ADR 0013), the copies of the tables it looks up in LevelDB,
// which keeps them across a crash of the process (ADR 0005).
func (c Runtime) processorStores(group goka.Group) storage.Builder {
	path := c.ProcessorStateDir(group)
	own := string(goka.GroupTable(group))
	copies := storeBuilder(path, leveldbOptions(processorWriteBuffer), c.cfg.stores)
	return func(topic string, partition int32) (storage.Storage, error) {
		if topic == own {
			return openLogStore(storeDir(path, topic, partition))
		}
		return copies(topic, partition)
	}
}

// ViewOptions are the options of a goka view; name separates the local
// stores of several views of one table in one process.
func (c Runtime) ViewOptions(name string) []goka.ViewOption {
	return []goka.ViewOption{
		goka.WithViewHasher(topics.Hasher()),
		goka.WithViewConsumerSaramaBuilder(c.consumerBuilder()),
		goka.WithViewTopicManagerBuilder(c.topicManagerBuilder()),
		goka.WithViewStorageBuilder(storeBuilder(filepath.Join(c.cfg.stateDir, "views", name), leveldbOptions(viewWriteBuffer), nil)),
		goka.WithViewClientID(c.cfg.clientID + "-view-" + name),
		goka.WithViewLogger(c.logger("goka view " + name)),
		goka.WithViewAutoReconnect(),
	}
}

// leveldbOptions tune the local stores (one LevelDB per table partition:
// about 180 in a process running everything) for what a processor does
// with them: a Get and a Set of the same key per message, plus goka's
// offset key.
//   - DisableSeeksCompaction: LevelDB compacts a table after enough reads
//     missed in it ("seeks"); with a Get per message that kept compactions
//     running all the time (12% of the CPU of the aggregate's benchmark).
//   - NoCompression: snapshots are Avro with UUIDs, which snappy barely
//     shrinks; compressing at every flush and compaction and decompressing
//     every block read cost more CPU than the disk it saved.
//   - A 2 MiB write buffer instead of 4: LevelDB allocates each store's
//     memtable at its full size when it opens the store and again at every
//     flush, so 180 stores held 720 MiB whatever their content (a heap
//     profile of `mallbots run` with 16 MiB showed 2.8 GiB of memtables).
//     Smaller memtables flush more often and leave more level-0 tables for
//     a Get to search: the aggregate alone did 16.1k commands/s with 4 MiB,
//     15.7k with 2 MiB, 12.4k with 1 MiB (docs/benchmarks.md).
//   - A bloom filter (10 bits a key): a Get otherwise reads an index and a
//     data block of every level-0 table and of one table per level until
//     it finds the key; with 100,000 snapshots a CPU profile of the
//     aggregate spent a quarter of its time in LevelDB's Get, half of it
//     in block reads. With the filter the aggregate went from 21.2k to
//     24.5k commands/s on that benchmark.
//   - No block cache: without one, each table keeps its index and filter
//     blocks in memory for as long as it is open. With LevelDB's 8 MiB LRU
//     cache, the data blocks of random keys evicted them, so a Get of a
//     store larger than the cache (a partition of 1,000,000 snapshots is
//     about 60 MB) read a filter block for each level-0 table, then an
//     index block and a data block, each with a pread. Without the cache,
//     a Get reads just the data block. BenchmarkProcessorStore (100,000
//     snapshots of 600 bytes): 37–40 → 25 µs per Get+Set+SetOffset, Get's
//     CPU 34 → 11 µs; the same at 10,000 snapshots (13 µs both). A 32 MiB
//     cache only got to 30–32 µs, and costs memory in every store.
//   - NoSync: LevelDB calls fsync on every table file a flush or a
//     compaction writes, and on its manifest. A store is a cache of its
//     table topic: after an unclean stop it is deleted and rebuilt from the
//     topic whatever LevelDB synced (ADR 0005), and after a clean stop
//     `mallbots run` syncs the state directory once before it marks it
//     clean (app/system). The fsyncs bought nothing, and each one
//     held a store's turn to write tables (tableWriters) for as long as
//     the disk took, 10 to 300 ms on this machine, while the other stores'
//     flushes waited: BenchmarkProcessorStore 21.0–21.5 → 15.0–15.9 µs.
func leveldbOptions(writeBuffer int) *opt.Options {
	return &opt.Options{
		DisableSeeksCompaction: true,
		Compression:            opt.NoCompression,
		WriteBuffer:            writeBuffer,
		Filter:                 filter.NewBloomFilter(10),
		DisableBlockCache:      true,
		NoSync:                 true,
	}
}

// The write buffers: a processor's store takes a Get and a Set per command,
// a view's only the table's updates (and its recovery). LevelDB keeps a
// second memtable of the same size pooled for the next flush, so each store
// holds twice its buffer once it has flushed.
const (
	processorWriteBuffer = 2 * opt.MiB
	viewWriteBuffer      = opt.MiB / 2
)

// EmitterOptions are the options of a goka emitter.
func (c Runtime) EmitterOptions() []goka.EmitterOption {
	return []goka.EmitterOption{
		goka.WithEmitterHasher(topics.Hasher()),
		goka.WithEmitterProducerBuilder(c.producerBuilder()),
		goka.WithEmitterTopicManagerBuilder(c.topicManagerBuilder()),
		goka.WithEmitterClientID(c.cfg.clientID + "-emitter"),
		goka.WithEmitterLogger(c.logger("goka emitter")),
	}
}

func (c Runtime) logger(component string) goka.Logger {
	return slogAdapter{c.cfg.log.With("component", component)}
}

// slogAdapter routes goka's printf logging to slog at debug level: goka
// logs every partition state change, which is noise at info.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Print(v ...any)                 { a.l.Debug(fmt.Sprint(v...)) }
func (a slogAdapter) Println(v ...any)               { a.l.Debug(fmt.Sprint(v...)) }
func (a slogAdapter) Printf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
