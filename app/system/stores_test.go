package system_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/app/system/systemtest"
	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/testkit"
	contractstores "github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The whole system runs once for this package's tests: in-process broker,
// embedded registry, a managed ClickHouse server, every component.
var sys *system.System

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if _, err := chserver.FindBinary(""); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "integration tests need ClickHouse and are never skipped in CI:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "skipping the system integration tests:", err)
		return 0
	}
	var stop func()
	var err error
	sys, stop, err = systemtest.StartInTemp("mallbots-system-test-", func(cfg *system.Config) {
		cfg.Auth = system.AuthConfig{SigningKey: signingKey(cfg.DataDir)} // shared with secondAPI
		cfg.TracerProvider = tracerProvider()                             // observability_test.go
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	code := m.Run()
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "the contract's operations and the exchanges of each checked against it:\n  %s\n", strings.Join(contract.Operations(), "\n  "))
	}
	return code
}

// api is a client of the system's API as the operator (auth_test.go). It
// retries a write that got 503 with the same Idempotency-Key: with every
// package's tests on two cores, handing a command to Kafka can outlast the
// API's 5 s request timeout, and the operator's calls mostly build the
// world that a test then checks.
func api(t *testing.T) testkit.API {
	c := client(t, tokenFor(t, operator))
	c.Retries = 2
	return c
}

func createStore(t *testing.T, name string) string {
	t.Helper()
	r := api(t).Do("POST", "/api/stores", map[string]any{"name": name, "location": "Level 1"}).Expect(t, http.StatusCreated)
	return r.S("id")
}

// Reference scenario 1.
func TestCreatingAStoreCalledWaldorfBooksSucceeds(t *testing.T) {
	r := api(t).Do("POST", "/api/stores", map[string]any{"name": "Waldorf Books", "location": "Level 1"}).Expect(t, http.StatusCreated)
	if _, err := uuid.Parse(r.S("id")); err != nil || r.N("version") != 1 {
		t.Fatalf("want a new id and version 1: %s", r.Raw)
	}
	// Read-your-writes: the store is there as soon as the write returned.
	got := api(t).Do("GET", "/api/stores/"+r.S("id"), nil).Expect(t, http.StatusOK)
	if got.S("name") != "Waldorf Books" || got.N("version") != 1 || got.Body["participating"] != false {
		t.Fatalf("unexpected store %s", got.Raw)
	}
}

// Reference scenario 2.
func TestCreatingAStoreCalledNothingFails(t *testing.T) {
	api(t).Do("POST", "/api/stores", map[string]any{"name": "", "location": "Level 1"}).
		ExpectError(t, http.StatusBadRequest, "the store name cannot be blank")
}

// Reference scenario 3.
func TestCreatingAProductInAnExistingStoreSucceeds(t *testing.T) {
	store := createStore(t, "Nic & Naks")
	r := api(t).Do("POST", "/api/stores/"+store+"/products",
		map[string]any{"name": "Wizard w/ crystal", "description": "a wizard", "sku": "WZ-1", "price": 9.98}).Expect(t, http.StatusCreated)
	got := api(t).Do("GET", "/api/stores/products/"+r.S("id"), nil).Expect(t, http.StatusOK)
	if got.S("name") != "Wizard w/ crystal" || got.N("price") != 9.98 || got.S("storeId") != store {
		t.Fatalf("unexpected product %s", got.Raw)
	}
	if !strings.Contains(got.Raw, `"price":9.98`) {
		t.Fatalf("money must be a decimal JSON number: %s", got.Raw)
	}
}

func TestEveryStoreRuleAnswersWithItsTextAndStatus(t *testing.T) {
	a := api(t)
	missing := uuid.NewString()
	a.Do("POST", "/api/stores", map[string]any{"name": "X", "location": " "}).ExpectError(t, 400, "the store location cannot be blank")
	id := createStore(t, "Rules Store")
	a.Do("POST", "/api/stores", map[string]any{"id": id, "name": "X", "location": "Y"}).ExpectError(t, 400, "the store already exists")
	a.Do("DELETE", "/api/stores/"+id+"/participating", nil).ExpectError(t, 400, "the store is already not participating")
	if r := a.Do("PUT", "/api/stores/"+id+"/participating", nil).Expect(t, 200); r.N("version") != 2 {
		t.Fatalf("want version 2: %s", r.Raw)
	}
	a.Do("PUT", "/api/stores/"+id+"/participating", nil).ExpectError(t, 400, "the store is already participating")
	a.Do("PUT", "/api/stores/"+id+"/rebrand", map[string]any{"name": ""}).ExpectError(t, 400, "the store name cannot be blank")
	a.Do("PUT", "/api/stores/"+id+"/rebrand", map[string]any{"name": "Rebranded"}).Expect(t, 200)
	a.Do("PUT", "/api/stores/"+missing+"/participating", nil).ExpectError(t, 404, "the store does not exist")
	a.Do("GET", "/api/stores/"+missing, nil).ExpectError(t, 404, "the store does not exist")
	a.Do("POST", "/api/stores/"+missing+"/products", map[string]any{"name": "P", "price": 1}).ExpectError(t, 404, "the store does not exist")

	p := a.Do("POST", "/api/stores/"+id+"/products", map[string]any{"name": "P", "price": 5.00}).Expect(t, 201).S("id")
	a.Do("POST", "/api/stores/"+id+"/products", map[string]any{"name": " ", "price": 1}).ExpectError(t, 400, "the product name cannot be blank")
	a.Do("POST", "/api/stores/"+id+"/products", map[string]any{"name": "N", "price": -0.01}).ExpectError(t, 400, "the product price cannot be negative")
	a.Do("PUT", "/api/stores/products/"+p+"/increasePrice", map[string]any{"price": 4.99}).ExpectError(t, 400, "the price change would be a decrease")
	a.Do("PUT", "/api/stores/products/"+p+"/decreasePrice", map[string]any{"price": 5.01}).ExpectError(t, 400, "the price change would be an increase")
	a.Do("PUT", "/api/stores/products/"+p+"/decreasePrice", map[string]any{"price": -1}).ExpectError(t, 400, "the product price cannot be negative")
	a.Do("PUT", "/api/stores/products/"+p+"/rebrand", map[string]any{"name": ""}).ExpectError(t, 400, "the product name cannot be blank")
	a.Do("PUT", "/api/stores/products/"+p+"/increasePrice", map[string]any{"price": 6.5}).Expect(t, 200)
	a.Do("PUT", "/api/stores/products/"+p+"/decreasePrice", map[string]any{"price": 6.25}).Expect(t, 200)
	a.Do("PUT", "/api/stores/products/"+p+"/rebrand", map[string]any{"name": "Q", "description": "d"}).Expect(t, 200)
	if r := a.Do("GET", "/api/stores/products/"+p, nil).Expect(t, 200); r.N("price") != 6.25 || r.S("name") != "Q" || r.N("version") != 4 {
		t.Fatalf("unexpected product %s", r.Raw)
	}
	a.Do("DELETE", "/api/stores/products/"+p, nil).Expect(t, 200)
	a.Do("PUT", "/api/stores/products/"+p+"/increasePrice", map[string]any{"price": 7}).ExpectError(t, 400, "the product has been removed")
	a.Do("DELETE", "/api/stores/products/"+missing, nil).ExpectError(t, 404, "the product does not exist")
	a.Do("GET", "/api/stores/products/"+missing, nil).ExpectError(t, 404, "the product does not exist")
}

func TestCatalogueReads(t *testing.T) {
	a := api(t)
	in := createStore(t, "Catalogue In")
	out := createStore(t, "Catalogue Out")
	a.Do("PUT", "/api/stores/"+in+"/participating", nil).Expect(t, 200)
	a.Do("POST", "/api/stores/"+in+"/products", map[string]any{"name": "Kept", "price": 1}).Expect(t, 201)
	gone := a.Do("POST", "/api/stores/"+in+"/products", map[string]any{"name": "Gone", "price": 1}).Expect(t, 201).S("id")
	a.Do("DELETE", "/api/stores/products/"+gone, nil).Expect(t, 200)

	has := func(list []map[string]any, id string) bool {
		for _, s := range list {
			if s["id"] == id {
				return true
			}
		}
		return false
	}
	all := a.Do("GET", "/api/stores", nil).Expect(t, 200).List
	part := a.Do("GET", "/api/stores/participating", nil).Expect(t, 200).List
	if !has(all, in) || !has(all, out) || !has(part, in) || has(part, out) {
		t.Fatalf("catalogue wrong: all %v, participating %v", all, part)
	}
	products := a.Do("GET", "/api/stores/"+in+"/products", nil).Expect(t, 200).List
	if len(products) != 1 || products[0]["name"] != "Kept" {
		t.Fatalf("want only the kept product: %v", products)
	}
}

func TestTheSameCommandIDTwiceYieldsOneSetOfEventsAndTheSameResult(t *testing.T) {
	a := api(t)
	key := uuid.NewString()
	id := uuid.NewString()
	body := map[string]any{"id": id, "name": "Twice", "location": "L"}
	first := a.Do("POST", "/api/stores", body, "Idempotency-Key", key).Expect(t, 201)
	second := a.Do("POST", "/api/stores", body, "Idempotency-Key", key).Expect(t, 201)
	if first.Raw != second.Raw {
		t.Fatalf("results differ: %s vs %s", first.Raw, second.Raw)
	}
	conn := clickhouseConn(t)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var n uint64
		err := conn.QueryRow(context.Background(), "SELECT count() FROM mallbots.events WHERE aggregate_id = ?", id).Scan(&n)
		return err == nil && n >= 1, fmt.Sprintf("events of %s: %d, %v", id, n, err)
	})
	var rows, distinct uint64
	if err := conn.QueryRow(context.Background(), "SELECT count(), uniqExact(event_id) FROM mallbots.events FINAL WHERE aggregate_id = ?", id).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || distinct != 1 {
		t.Fatalf("want one event, got %d rows with %d ids", rows, distinct)
	}
	// The event log itself holds the creation once.
	if ids := eventIDsInLog(t, topics.Stores.Events.Name, id); len(ids) != 1 {
		t.Fatalf("want one event in the log, got %v", ids)
	}
}

func TestACreatedStoreAndProductAppearInClickHouseWithinTwoSeconds(t *testing.T) {
	store := createStore(t, "Warehouse Store")
	product := api(t).Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": "Lamp", "price": 19.99}).Expect(t, 201).S("id")
	written := time.Now()
	conn := clickhouseConn(t)
	testkit.Eventually(t, 2*time.Second, func() (bool, string) {
		var name, price string
		err := conn.QueryRow(context.Background(),
			"SELECT p.name, toString(p.price) FROM mallbots.products AS p FINAL WHERE p.id = ? AND p.store_id IN (SELECT id FROM mallbots.stores FINAL WHERE name = 'Warehouse Store')", product).Scan(&name, &price)
		return err == nil && name == "Lamp" && price == "19.99", fmt.Sprintf("product row: %q %q %v", name, price, err)
	})
	t.Logf("visible in ClickHouse %s after the write returned", time.Since(written).Round(time.Millisecond))
}

func TestGarbageOnACommandTopicIsDeadLetteredAndTheNextCommandProcessed(t *testing.T) {
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin), kgo.ConsumeTopics(topics.DeadLetter.Name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	key := uuid.NewString()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Stores.Commands.Name, Key: []byte(key), Value: []byte("\x00garbage that is not avro")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// The next valid command for the same key (same partition) is processed.
	r := api(t).Do("POST", "/api/stores", map[string]any{"id": key, "name": "After Garbage", "location": "L"}).Expect(t, 201)
	if r.N("version") != 1 {
		t.Fatalf("unexpected %s", r.Raw)
	}
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatal("no dead letter for the garbage")
		}
		var found bool
		fetches.EachRecord(func(rec *kgo.Record) {
			if string(rec.Key) != key {
				return
			}
			for _, h := range rec.Headers {
				if h.Key == topics.HeaderDLQReason && len(h.Value) > 0 {
					found = true
					t.Logf("dead letter reason: %s", h.Value)
				}
			}
		})
		if found {
			return
		}
	}
}

func clickhouseConn(t *testing.T) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{sys.ClickHouseAddr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// eventIDsInLog reads the event log of one aggregate.
func eventIDsInLog(t *testing.T, topic, aggregateID string) []string {
	t.Helper()
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var ids []string
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachRecord(func(rec *kgo.Record) {
			if string(rec.Key) != aggregateID {
				return
			}
			ev, err := sys.Serde().Decode(context.Background(), positionOf(rec), rec.Value)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, eventIDOf(ev))
		})
	}
	if len(ids) == 0 {
		t.Fatalf("no events of %s in %s", aggregateID, topic)
	}
	return ids
}

func TestACommandOnTheWrongPartitionIsForwardedNotAppliedThere(t *testing.T) {
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	id := uuid.NewString()
	cmd := &contractstores.CreateStore{Name: "Wrong Partition", Location: "L"}
	cmd.AggregateID, cmd.CommandID, cmd.IssuedAt = id, uuid.NewString(), time.Now()
	value, err := sys.Serde().Encode(topics.Stores.Commands.Name, cmd)
	if err != nil {
		t.Fatal(err)
	}
	wrong := (topics.PartitionFor(id, topics.Stores.Commands.Partitions) + 1) % topics.Stores.Commands.Partitions
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Stores.Commands.Name, Partition: wrong, Key: []byte(id), Value: value}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r := api(t).Do("GET", "/api/stores/"+id+"?minVersion=1", nil).Expect(t, http.StatusOK)
	if r.S("name") != "Wrong Partition" {
		t.Fatalf("unexpected %s", r.Raw)
	}
}
