package search

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
	"github.com/mallbots/mallbots/views/warehouse/warehousetest"
)

// loaded is a generated mall projected into a real ClickHouse: the orders
// and customers were produced as table records onto an in-process kfake
// broker, and the production projections (search; the customers part of
// the state projection, for names) loaded them.
type loaded struct {
	*mall
	q     *Querier
	admin driver.Conn
	// produced and projected are how long producing and projecting took.
	produced, projected time.Duration
	records             int
	// stopIngest stops the projections and the broker (also done at the
	// end of the test): a benchmark does so before measuring, so that
	// neither competes with the searches for the CPU or the heap.
	stopIngest func()
}

// load generates a mall of n orders and loads it; log receives the
// projectors' messages at level and above.
func load(tb testing.TB, n int, seed uint64, level slog.Level) *loaded {
	tb.Helper()
	chtest.RequireBinary(tb)
	srv, admin := warehousetest.Migrated(tb)
	writer := chtest.Open(tb, srv, chserver.WriterUser)

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(topics.AggregatePartitions, topics.Orders.Table.Name, topics.Customers.Table.Name))
	if err != nil {
		tb.Fatalf("kfake: %v", err)
	}
	var stops []func()
	stopIngest := sync.OnceFunc(func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	})
	tb.Cleanup(stopIngest)
	stops = append(stops, cluster.Close)
	kafka := []kgo.Opt{kgo.SeedBrokers(cluster.ListenAddrs()...)}
	sd, _ := testkit.Serde(tb)

	l := &loaded{mall: generate(n, seed), q: NewQuerier(writer), admin: admin, stopIngest: stopIngest}
	began := time.Now()
	l.records = produce(tb, kafka, sd, l.mall)
	l.produced = time.Since(began)

	began = time.Now()
	log := slog.New(atLeast{chtest.Logger(tb).Handler(), level})
	names := projections.State(sd) // only its customers table: the names
	names.Name, names.Topics, names.Tables = "customers", []string{topics.Customers.Table.Name}, []warehouse.Table{warehouse.CustomersTable}
	var running []*warehouse.Projector
	for _, p := range []warehouse.Projection{projections.Search(sd), names} {
		pr, err := warehouse.NewProjector(kafka, writer, p, warehouse.WithLogger(log), warehouse.WithMaxBatchRows(50_000),
			warehouse.WithLagRefresh(100*time.Millisecond))
		if err != nil {
			tb.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = pr.Run(ctx) }()
		stops = append(stops, func() { cancel(); <-done })
		running = append(running, pr)
	}
	testkit.Eventually(tb, 10*time.Minute, func() (bool, string) {
		for _, pr := range running {
			if !pr.Ready() {
				ev, _ := pr.Lag()
				return false, "the projections did not catch up: " + strconv.FormatInt(ev, 10) + " records behind"
			}
		}
		return true, ""
	})
	l.projected = time.Since(began)
	return l
}

// produce writes every customer and every order version as table records,
// encoding on all cores, and returns how many records it wrote.
func produce(tb testing.TB, kafka []kgo.Opt, sd *serde.Serde, m *mall) int {
	tb.Helper()
	cl, err := kgo.NewClient(append(kafka, kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100_000))...)
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	var (
		mu       sync.Mutex
		firstErr error
		count    int
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	send := func(topic, key string, v any) {
		b, err := sd.Encode(topic, v)
		if err != nil {
			fail(err)
			return
		}
		cl.Produce(context.Background(), &kgo.Record{Topic: topic, Key: []byte(key), Value: b}, func(_ *kgo.Record, err error) {
			if err != nil {
				fail(err)
			}
		})
	}
	for _, c := range m.customers {
		send(topics.Customers.Table.Name, c.id, &customers.CustomerSnapshot{AggregateID: c.id, Version: 1, LastOffset: -1,
			UpdatedAt: genEpoch, State: customers.Customer{ID: c.id, Name: c.name, SMSNumber: "555-0100", Enabled: true}})
		count++
	}
	// Each order's versions stay in their write order (one worker per order,
	// one partition per key).
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(m.orders); i += workers {
				o := &m.orders[i]
				for _, v := range o.writes {
					send(topics.Orders.Table.Name, o.id, o.snapshot(v))
				}
			}
		})
	}
	wg.Wait()
	for _, o := range m.orders {
		count += len(o.writes)
	}
	if err := cl.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	if firstErr != nil {
		tb.Fatalf("produce: %v", firstErr)
	}
	return count
}

// atLeast drops records below a level: a benchmark prints its log even
// when it passes.
type atLeast struct {
	slog.Handler
	level slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.level}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{h.Handler.WithGroup(name), h.level}
}
