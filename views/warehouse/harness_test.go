package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
	"github.com/mallbots/mallbots/views/warehouse"
	"github.com/mallbots/mallbots/views/warehouse/warehousetest"
)

const (
	testTopic      = "mallbots.test.events"
	testPartitions = 3
)

// migrated starts a server, migrates it and returns it with an admin
// connection and a writer connection (the projector's user).
func migrated(t testing.TB) (srv *chserver.Server, admin, writer driver.Conn) {
	t.Helper()
	srv, admin = warehousetest.Migrated(t)
	return srv, admin, chtest.Open(t, srv, chserver.WriterUser)
}

// rig is what a projector test runs against: a migrated server, the
// projector's writer connection, an admin connection to read the tables
// back with, and a broker with the test topic.
type rig struct {
	srv           *chserver.Server
	writer, admin driver.Conn
	kafka         *broker
}

func newRig(t testing.TB) rig {
	t.Helper()
	srv, admin, writer := migrated(t)
	return rig{srv: srv, writer: writer, admin: admin, kafka: newBroker(t)}
}

// broker is an in-process Kafka cluster with the test topic.
type broker struct {
	cluster *kfake.Cluster
	client  *kgo.Client
	adm     *kadm.Client
}

func newBroker(t testing.TB) *broker {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(testPartitions, testTopic))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &broker{cluster: c, client: cl, adm: kadm.NewClient(cl)}
}

func (b *broker) opts() []kgo.Opt { return []kgo.Opt{kgo.SeedBrokers(b.cluster.ListenAddrs()...)} }

// superuser is the secured broker's break-glass user; every user's
// password is "pw-<name>".
const superuser = "root"

// newSecuredBroker is an in-process Kafka cluster that authenticates with
// SCRAM and enforces the catalogue's ACLs (docs/adr/0020), with the
// catalogue's topics; users are the principals it knows besides the
// superuser, whose client is the broker's client.
func newSecuredBroker(t testing.TB, users ...string) *broker {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(kafkaauth.ScramSHA512, superuser, "pw-"+superuser)}
	for _, u := range users {
		opts = append(opts, kfake.User(kafkaauth.ScramSHA512, u, "pw-"+u))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	b := &broker{cluster: c}
	if b.client, err = kgo.NewClient(b.as(superuser)...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.client.Close)
	b.adm = kadm.NewClient(b.client)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := admin.Apply(ctx, b.adm, topics.All()); err != nil {
		t.Fatalf("create the catalogue's topics: %v", err)
	}
	if _, err := admin.ApplyACLs(ctx, b.adm, topics.ACLs()); err != nil {
		t.Fatalf("apply the catalogue's ACLs: %v", err)
	}
	return b
}

// as is the connection options of user on b.
func (b *broker) as(user string) []kgo.Opt {
	return append(b.opts(), kgo.SASL(scram.Auth{User: user, Pass: "pw-" + user}.AsSha512Mechanism()))
}

// produce appends events "agg-<i%aggregates>/<version>" for i in [from, to):
// aggregate i%aggregates at version i/aggregates+1, keyed by aggregate.
func (b *broker) produce(t testing.TB, from, to, aggregates int) {
	t.Helper()
	recs := make([]*kgo.Record, 0, to-from)
	for i := from; i < to; i++ {
		agg := fmt.Sprintf("agg-%d", i%aggregates)
		recs = append(recs, &kgo.Record{
			Topic: testTopic,
			Key:   []byte(agg),
			Value: fmt.Appendf(nil, "%s/%d", agg, i/aggregates+1),
		})
	}
	if err := b.client.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// committed sums the group's committed offsets over the test topic.
func (b *broker) committed(t testing.TB, group string) int64 {
	t.Helper()
	offs, err := b.adm.FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return 0 // not joined yet (kfake says so; Kafka returns no offsets)
	}
	if err != nil {
		t.Fatalf("fetch offsets of %s: %v", group, err)
	}
	var sum int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At > 0 {
			sum += o.At
		}
	})
	return sum
}

// eventsProjection maps "agg/version" records to mallbots.events rows and,
// for every aggregate, a mallbots.products row priced version × 1.25.
func eventsProjection(group string) warehouse.Projection {
	return warehouse.Projection{
		Name:   "test-events",
		Group:  group,
		Topics: []string{testTopic},
		Tables: []warehouse.Table{warehouse.EventsTable, warehouse.ProductsTable},
		Map:    mapEvent,
	}
}

func mapEvent(rec *kgo.Record) ([]warehouse.Row, error) {
	agg, v, ok := strings.Cut(string(rec.Value), "/")
	if !ok {
		return nil, errors.New("value is not agg/version")
	}
	version, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("version: %w", err)
	}
	at := rec.Timestamp.UTC()
	return []warehouse.Row{
		{Table: "events", Values: []any{
			fmt.Sprintf("%s-%d", agg, version), "mallbots.test.Happened", uint32(1),
			"test", agg, version,
			at, uint64(at.UnixMilli()),
			"command-1", "correlation-1", "causation-1",
			`{"n":1}`, rec.Topic, uint32(rec.Partition), uint64(rec.Offset),
			"", "", // prev_hash, hash: events from before the chain
			"", "", // issued_by, issuer_role: events from before the issuer
		}},
		{Table: "products", Values: []any{
			agg, "store-1", "name", "description", "sku-" + agg,
			decimal.New(int64(version)*125, -2), uint8(0), version, at, "",
		}},
	}, nil
}

// count runs a count query.
func count(t testing.TB, conn driver.Conn, sql string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// eventually polls cond every 20ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.Poll(t, timeout, 20*time.Millisecond, what, cond)
}

// running is a Projector whose Run goroutine the test stops.
type running struct {
	*warehouse.Projector
	// stop cancels Run and waits for it to return.
	stop func()
}

func start(t testing.TB, kafka []kgo.Opt, ch driver.Conn, p warehouse.Projection, opts ...warehouse.Option) *running {
	t.Helper()
	opts = append([]warehouse.Option{
		warehouse.WithLogger(chtest.Logger(t)),
		warehouse.WithBackoff(20*time.Millisecond, 200*time.Millisecond),
		warehouse.WithLagRefresh(50 * time.Millisecond),
		warehouse.WithShutdownTimeout(2 * time.Second),
	}, opts...)
	pr, err := warehouse.NewProjector(kafka, ch, p, opts...)
	if err != nil {
		t.Fatalf("new projector: %v", err)
	}
	return &running{Projector: pr, stop: testkit.Background(t, "Run", pr.Run)}
}
