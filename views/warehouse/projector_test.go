package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/warehouse"
)

const wait = 30 * time.Second

func TestProjectorInsertsAndCommits(t *testing.T) {
	r := newRig(t)
	const n, aggregates = 2000, 50
	r.kafka.produce(t, 0, n, aggregates)

	p := start(t, r.kafka.opts(), r.writer, eventsProjection("g-inserts"), warehouse.WithMaxBatchRows(500))
	eventually(t, wait, "every record committed", func() bool { return r.kafka.committed(t, "g-inserts") == n })
	eventually(t, wait, "Ready and no lag", func() bool {
		lag, _ := p.Lag()
		return p.Ready() && lag == 0
	})

	if got := count(t, r.admin, "SELECT count() FROM mallbots.events FINAL"); got != n {
		t.Errorf("events FINAL = %d, want %d", got, n)
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.products FINAL"); got != aggregates {
		t.Errorf("products FINAL = %d, want %d", got, aggregates)
	}
	// Each product ends at its last version: 2000/50 = 40, priced 40 × 1.25.
	var total decimal.Decimal
	if err := r.admin.QueryRow(context.Background(), "SELECT sum(price) FROM mallbots.products FINAL").Scan(&total); err != nil {
		t.Fatalf("sum(price): %v", err)
	}
	if want := decimal.RequireFromString("2500"); !total.Equal(want) {
		t.Errorf("sum(price) FINAL = %s, want %s", total, want)
	}
	st := p.Stats()
	if st.Records != n || st.Rows != 2*n || st.Skipped != 0 || st.InsertFailures != 0 {
		t.Errorf("stats = %+v", st)
	}
	if st.Flushes < n/500 {
		t.Errorf("flushes = %d, want at least %d with 500-row batches", st.Flushes, n/500)
	}

	// Run returns once cancelled, and later records wait for the next run.
	p.stop()
	r.kafka.produce(t, n, n+10, aggregates)
	if got := r.kafka.committed(t, "g-inserts"); got != n {
		t.Errorf("committed after stop = %d, want %d", got, n)
	}
}

func TestDuplicatesAndReplaysCollapse(t *testing.T) {
	r := newRig(t)
	const n = 300
	r.kafka.produce(t, 0, n, 30)
	r.kafka.produce(t, 0, n, 30) // the same events again, as a producer retry would

	first := start(t, r.kafka.opts(), r.writer, eventsProjection("g-first"))
	eventually(t, wait, "first group committed", func() bool { return r.kafka.committed(t, "g-first") == 2*n })
	first.stop()
	// A replay from the start under a new group inserts everything again.
	replay := start(t, r.kafka.opts(), r.writer, eventsProjection("g-replay"))
	eventually(t, wait, "replay group committed", func() bool { return r.kafka.committed(t, "g-replay") == 2*n })
	replay.stop()

	if got := count(t, r.admin, "SELECT count() FROM mallbots.events"); got <= n {
		t.Logf("raw rows already merged to %d", got)
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.events FINAL"); got != n {
		t.Errorf("events FINAL = %d, want %d", got, n)
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.products FINAL"); got != 30 {
		t.Errorf("products FINAL = %d, want 30", got)
	}
}

func TestClickHouseOutageLosesNothing(t *testing.T) {
	chtest.RequireBinary(t)
	dir := t.TempDir()
	opts := []chserver.Option{chserver.WithWriterPassword(chtest.WriterPassword), chserver.WithLogger(chtest.Logger(t))}
	srv := startServer(t, dir, opts...)
	opts = append(opts, chserver.WithTCPAddr(srv.Addr())) // the restart must come back where the projector connects
	if _, err := warehouse.Migrate(context.Background(), chtest.Open(t, srv, chserver.DefaultUser), chtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
	writer := chtest.Open(t, srv, chserver.WriterUser)
	kafka := newBroker(t)
	const half = 500
	kafka.produce(t, 0, half, 25)

	p := start(t, kafka.opts(), writer, eventsProjection("g-outage"))
	eventually(t, wait, "first half committed", func() bool { return kafka.committed(t, "g-outage") == half })

	stopServer(t, srv)
	kafka.produce(t, half, 2*half, 25)
	eventually(t, wait, "inserts refused while ClickHouse is down", func() bool { return p.Stats().InsertFailures >= 2 })
	if got := kafka.committed(t, "g-outage"); got != half {
		t.Fatalf("committed %d while ClickHouse was down, want it held at %d", got, half)
	}
	if _, secs := p.Lag(); secs <= 0 {
		t.Errorf("lag seconds = %v while a batch is stuck, want > 0", secs)
	}

	srv = startServer(t, dir, opts...)
	eventually(t, wait, "second half committed after the restart", func() bool { return kafka.committed(t, "g-outage") == 2*half })
	admin := chtest.Open(t, srv, chserver.DefaultUser)
	if got := count(t, admin, "SELECT count() FROM mallbots.events FINAL"); got != 2*half {
		t.Errorf("events FINAL = %d, want %d", got, 2*half)
	}
	if got := count(t, admin, "SELECT uniqExact(topic, partition, offset) FROM mallbots.events"); got != 2*half {
		t.Errorf("distinct offsets = %d, want %d", got, 2*half)
	}
}

func TestStopDuringOutageCommitsNothing(t *testing.T) {
	r := newRig(t)
	stopServer(t, r.srv)
	r.kafka.produce(t, 0, 100, 10)

	p := start(t, r.kafka.opts(), r.writer, eventsProjection("g-stop"))
	eventually(t, wait, "inserts refused", func() bool { return p.Stats().InsertFailures >= 1 })
	p.stop()
	if got := r.kafka.committed(t, "g-stop"); got != 0 {
		t.Errorf("committed %d records that never landed", got)
	}
}

func TestStopFlushesTheBatchInFlight(t *testing.T) {
	r := newRig(t)
	const n = 100
	r.kafka.produce(t, 0, n, 10)

	// A batch that is never due by itself: only the stop can flush it.
	p := start(t, r.kafka.opts(), r.writer, eventsProjection("g-drain"), warehouse.WithFlushInterval(time.Hour))
	eventually(t, wait, "records fetched and pending", func() bool {
		_, secs := p.Lag()
		return secs > 0
	})
	if got := r.kafka.committed(t, "g-drain"); got != 0 {
		t.Fatalf("committed %d before the batch was due", got)
	}
	p.stop()
	if got := r.kafka.committed(t, "g-drain"); got != n {
		t.Errorf("committed after stop = %d, want %d", got, n)
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.events FINAL"); got != n {
		t.Errorf("events FINAL = %d, want %d", got, n)
	}
}

func TestMapErrorSkipsOnlyThatRecord(t *testing.T) {
	r := newRig(t)
	const n = 200
	r.kafka.produce(t, 0, n, 20)
	// Two poison records: one Map rejects, one whose second row (products)
	// has a value of the wrong type, which only the driver notices; its
	// first row (events) must not land either.
	poison := []*kgo.Record{
		{Topic: testTopic, Key: []byte("bad"), Value: []byte("not an event")},
		{Topic: testTopic, Key: []byte("bad"), Value: []byte("wrongtype/1")},
	}
	if err := r.kafka.client.ProduceSync(context.Background(), poison...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r.kafka.produce(t, n, 2*n, 20)

	proj := eventsProjection("g-poison")
	proj.Map = func(rec *kgo.Record) ([]warehouse.Row, error) {
		rows, err := mapEvent(rec)
		if err == nil && strings.HasPrefix(string(rec.Value), "wrongtype/") {
			rows[1].Values[7] = "not a UInt64" // products.version
		}
		return rows, err
	}
	var mu sync.Mutex
	var skipped []string
	p := start(t, r.kafka.opts(), r.writer, proj, warehouse.WithOnMapError(func(rec *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		skipped = append(skipped, string(rec.Value))
		t.Logf("skipped %q: %v", rec.Value, err)
	}))
	eventually(t, wait, "every record committed", func() bool { return r.kafka.committed(t, "g-poison") == 2*n+2 })

	if got := count(t, r.admin, "SELECT count() FROM mallbots.events FINAL"); got != 2*n {
		t.Errorf("events FINAL = %d, want %d", got, 2*n)
	}
	if got := count(t, r.admin, "SELECT count() FROM mallbots.events WHERE aggregate_id = 'wrongtype'"); got != 0 {
		t.Errorf("the skipped record left %d events rows", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(skipped) != 2 {
		t.Errorf("skipped %q, want the two poison records", skipped)
	}
	if got := p.Stats().Skipped; got != 2 {
		t.Errorf("Stats.Skipped = %d, want 2", got)
	}
}

func TestNewProjectorReportsEveryProblem(t *testing.T) {
	_, err := warehouse.NewProjector(nil, nil, warehouse.Projection{
		Tables: []warehouse.Table{{Name: "bad name;", Columns: []string{"ok", "no-dash"}}},
	}, warehouse.WithMaxBatchRows(0))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"connection is nil", "Name is empty", "Group is empty", "Topics is empty",
		"Map is nil", `"bad name;"`, `"no-dash"`, "WithMaxBatchRows(0)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if errors.Unwrap(err) == nil && !strings.Contains(err.Error(), "\n") {
		t.Errorf("problems are not reported together: %v", err)
	}
}

func startServer(t testing.TB, dir string, opts ...chserver.Option) *chserver.Server {
	t.Helper()
	srv, err := chserver.Start(context.Background(), dir, opts...)
	if err != nil {
		t.Fatalf("start ClickHouse: %v", err)
	}
	t.Cleanup(func() { stopServer(t, srv) })
	return srv
}

func stopServer(t testing.TB, srv *chserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		t.Errorf("stop ClickHouse: %v", err)
	}
}

func TestABatchIsDueAFlushIntervalAfterItsOldestRecordWasWritten(t *testing.T) {
	r := newRig(t)
	// Records written two minutes ago (a projector that was down, or busy
	// with the batch before): with a one-minute interval they are overdue
	// when they arrive, so they land at once, not a minute after arriving.
	const n = 50
	written := time.Now().Add(-2 * time.Minute)
	recs := make([]*kgo.Record, 0, n)
	for i := range n {
		agg := fmt.Sprintf("agg-%d", i%10)
		recs = append(recs, &kgo.Record{Topic: testTopic, Key: []byte(agg), Value: fmt.Appendf(nil, "%s/%d", agg, i/10+1), Timestamp: written})
	}
	if err := r.kafka.client.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	start(t, r.kafka.opts(), r.writer, eventsProjection("g-overdue"), warehouse.WithFlushInterval(time.Minute))
	eventually(t, 15*time.Second, "the overdue records committed", func() bool { return r.kafka.committed(t, "g-overdue") == n })
}

// A member's partitions change when it joins the group (and when others
// join or leave): the projection hears of it before it maps a record of
// the new assignment, so that a Guard that remembers the table forgets it.
func TestAProjectionHearsWhenTheMembersPartitionsChange(t *testing.T) {
	r := newRig(t)
	r.kafka.produce(t, 0, 10, 5)
	var changes atomic.Int32
	proj := eventsProjection("g-rebalance")
	proj.OnRebalance = func() { changes.Add(1) }
	proj.Map = func(rec *kgo.Record) ([]warehouse.Row, error) {
		if changes.Load() == 0 {
			return nil, errors.New("a record mapped before the assignment was announced")
		}
		return nil, nil
	}
	p := start(t, r.kafka.opts(), r.writer, proj)
	eventually(t, wait, "every record committed", func() bool { return r.kafka.committed(t, "g-rebalance") == 10 })
	if st := p.Stats(); st.Skipped != 0 {
		t.Errorf("%d records mapped before the projection heard of its partitions", st.Skipped)
	}
	p.stop()
	if changes.Load() < 2 {
		t.Errorf("heard of %d changes; want the assignment and the revocation at the stop", changes.Load())
	}
}
