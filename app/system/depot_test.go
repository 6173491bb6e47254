package system_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/depot/bots"
	"github.com/mallbots/mallbots/schemas"
	contractdepot "github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// depotCommand sends a depot command as the saga would and returns its
// result.
func depotCommand(t *testing.T, id string, cmd schemas.Command) schemas.CommandResult {
	t.Helper()
	cmd.CommandMetadata().AggregateID = id
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := sys.Commands().SendAndWait(ctx, cmd)
	if err != nil {
		t.Fatalf("%T %s: %v", cmd, id, err)
	}
	return res
}

// depotMall is a store with two products and a second store with one.
type depotMall struct{ books, toys, novel, atlas, wizard string }

func openDepotMall(t *testing.T) depotMall {
	t.Helper()
	a := api(t)
	m := depotMall{books: createStore(t, "Depot Books"), toys: createStore(t, "Depot Toys")}
	product := func(store, name string) string {
		return a.Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": name, "price": 4.5}).Expect(t, 201).S("id")
	}
	m.novel, m.atlas, m.wizard = product(m.books, "A Novel"), product(m.books, "An Atlas"), product(m.toys, "Wizard w/ crystal")
	return m
}

// newList creates a shopping list for a made-up order (as the saga's step 2
// does) and returns its id.
func (m depotMall) newList(t *testing.T) string {
	t.Helper()
	id, order := uuid.NewString(), uuid.NewString()
	// The depot sees new stores and products through its own copy of their
	// tables, a moment after the API's: retry until it does (a refused
	// creation stores nothing).
	var res schemas.CommandResult
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		res = depotCommand(t, id, &contractdepot.CreateShoppingList{OrderID: order, Items: []contractdepot.ListItem{
			{StoreID: m.books, ProductID: m.novel, Quantity: 1},
			{StoreID: m.toys, ProductID: m.wizard, Quantity: 2},
			{StoreID: m.books, ProductID: m.atlas, Quantity: 1},
			{StoreID: m.books, ProductID: m.novel, Quantity: 2},
		}})
		return res.Accepted, fmt.Sprintf("create: %+v", res)
	})
	if res.Version != 1 {
		t.Fatalf("create: %+v", res)
	}
	return id
}

func initiate(t *testing.T, list string) {
	t.Helper()
	if res := depotCommand(t, list, &contractdepot.InitiateShopping{}); !res.Accepted || res.Version != 2 {
		t.Fatalf("initiate %s: %+v", list, res)
	}
}

// listReaches polls GET /api/depot/shopping/{id} until its status is want.
func listReaches(t *testing.T, list, want string, within time.Duration) testkit.Response {
	t.Helper()
	return statusReaches(t, "/api/depot/shopping/"+list, want, within)
}

func TestAShoppingListNamesItsStopsAndMergesRepeatedLines(t *testing.T) {
	m := openDepotMall(t)
	list := m.newList(t)
	r := api(t).Do("GET", "/api/depot/shopping/"+list+"?minVersion=1", nil).Expect(t, http.StatusOK)
	if r.S("status") != "pending" || r.N("version") != 1 || r.S("botId") != "" || r.Body["availableAt"] != nil {
		t.Fatalf("unexpected list %s", r.Raw)
	}
	stops, _ := r.Body["stops"].(map[string]any)
	books, _ := stops[m.books].(map[string]any)
	toys, _ := stops[m.toys].(map[string]any)
	if len(stops) != 2 || books["storeName"] != "Depot Books" || books["storeLocation"] != "Level 1" || toys["storeName"] != "Depot Toys" {
		t.Fatalf("want one stop per store, named: %s", r.Raw)
	}
	items, _ := books["items"].(map[string]any)
	novel, _ := items[m.novel].(map[string]any)
	if len(items) != 2 || novel["productName"] != "A Novel" || novel["quantity"] != 3.0 {
		t.Fatalf("want the two novel lines merged into 3: %s", r.Raw)
	}
}

func TestEveryShoppingListRuleAnswersWithItsText(t *testing.T) {
	m := openDepotMall(t)
	refused := func(res schemas.CommandResult, kind, message string) {
		t.Helper()
		if res.Accepted || res.Kind != kind || res.Message != message || res.Code == "" {
			t.Fatalf("want %s %q, got %+v", kind, message, res)
		}
	}
	unknownStore := &contractdepot.CreateShoppingList{OrderID: uuid.NewString(), Items: []contractdepot.ListItem{{StoreID: uuid.NewString(), ProductID: m.novel, Quantity: 1}}}
	refused(depotCommand(t, uuid.NewString(), unknownStore), "invalid", "the shopping list cannot be created")
	unknownProduct := &contractdepot.CreateShoppingList{OrderID: uuid.NewString(), Items: []contractdepot.ListItem{{StoreID: m.books, ProductID: uuid.NewString(), Quantity: 1}}}
	refused(depotCommand(t, uuid.NewString(), unknownProduct), "invalid", "the shopping list cannot be created")

	list := m.newList(t)
	refused(depotCommand(t, list, &contractdepot.CreateShoppingList{OrderID: uuid.NewString(), Items: []contractdepot.ListItem{{StoreID: m.books, ProductID: m.novel, Quantity: 1}}}),
		"invalid", "the shopping list already exists")
	refused(depotCommand(t, list, &contractdepot.AssignShoppingList{BotID: "bot-1"}), "invalid", "the shopping list cannot be assigned")
	refused(depotCommand(t, list, &contractdepot.CompleteShoppingList{}), "invalid", "the shopping list cannot be completed")
	if res := depotCommand(t, list, &contractdepot.CancelShoppingList{}); !res.Accepted {
		t.Fatalf("cancel: %+v", res)
	}
	refused(depotCommand(t, list, &contractdepot.CancelShoppingList{}), "invalid", "the shopping list cannot be canceled")
	refused(depotCommand(t, list, &contractdepot.InitiateShopping{}), "invalid", "the shopping list cannot be initiated")

	missing := uuid.NewString()
	refused(depotCommand(t, missing, &contractdepot.InitiateShopping{}), "not_found", "the shopping list does not exist")
	api(t).Do("GET", "/api/depot/shopping/"+missing, nil).ExpectError(t, http.StatusNotFound, "the shopping list does not exist")
}

func TestBotsCompleteTheListsThatBecomeAvailable(t *testing.T) {
	m := openDepotMall(t)
	var lists []string
	for range 6 {
		lists = append(lists, m.newList(t))
	}
	start := time.Now()
	for _, list := range lists {
		initiate(t, list)
	}
	for _, list := range lists {
		r := listReaches(t, list, "completed", 20*time.Second)
		if !strings.HasPrefix(r.S("botId"), "bot-") || r.N("version") != 4 || r.S("availableAt") == "" {
			t.Fatalf("unexpected completed list %s", r.Raw)
		}
	}
	t.Logf("3 bots shopping 200 ms each completed %d lists %s after they became available", len(lists), time.Since(start).Round(time.Millisecond))
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		r := api(t).Do("GET", "/api/depot/bots", nil).Expect(t, http.StatusOK)
		idle := 0
		for _, b := range r.List {
			if strings.HasPrefix(b["id"].(string), "bot-") && b["status"] == "idle" {
				idle++
			}
		}
		return idle >= 1, "bots: " + r.Raw
	})

	conn := clickhouseConn(t)
	last := lists[len(lists)-1]
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var status, bot string
		var stops, items uint32
		var version uint64
		var availableAt time.Time
		err := conn.QueryRow(context.Background(),
			"SELECT status, bot_id, stop_count, item_count, available_at, version FROM mallbots.shopping_lists FINAL WHERE id = ?", last).
			Scan(&status, &bot, &stops, &items, &availableAt, &version)
		return err == nil && status == "completed" && strings.HasPrefix(bot, "bot-") && stops == 2 && items == 3 && availableAt.Year() >= 2020 && version == 4,
			fmt.Sprintf("shopping_lists row: %s %s %d stops %d items %s v%d %v", status, bot, stops, items, availableAt, version, err)
	})
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var n uint64
		err := conn.QueryRow(context.Background(), "SELECT count() FROM mallbots.bots FINAL WHERE id LIKE 'bot-%' AND status IN ('idle', 'active')").Scan(&n)
		return err == nil && n >= 1, fmt.Sprintf("bots rows: %d %v", n, err)
	})
	expectColumns(t, warehouse.ShoppingListsTable)
	expectColumns(t, warehouse.BotsTable)
	logPickup(t, lists)
}

// logPickup reports how long the lists waited for a bot (available →
// assigned), from the event history in ClickHouse.
func logPickup(t *testing.T, lists []string) {
	t.Helper()
	var waits []int64
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		rows, err := clickhouseConn(t).Query(context.Background(), `
			SELECT maxIf(occurred_at_ms, event_type = 'mallbots.depot.ShoppingListAssigned')
			     - maxIf(occurred_at_ms, event_type = 'mallbots.depot.ShoppingListInitiated') AS wait
			FROM mallbots.events FINAL WHERE has(?, aggregate_id) GROUP BY aggregate_id ORDER BY wait`, lists)
		if err != nil {
			return false, err.Error()
		}
		defer rows.Close()
		waits = waits[:0]
		for rows.Next() {
			var w int64
			if err := rows.Scan(&w); err != nil {
				return false, err.Error()
			}
			waits = append(waits, w)
		}
		return len(waits) == len(lists), fmt.Sprintf("%d of %d lists in the history", len(waits), len(lists))
	})
	t.Logf("lists waited for a bot (ms, sorted): %v", waits)
}

// A pool stopped while its bots are shopping leaves them active on their
// lists; a new pool with the same bots resumes those trips. Meanwhile the
// system's own bots compete for the same lists (so there are more lists
// than they take before the test pool sees them). Every list ends
// completed, assigned once and completed once in the event log.
func TestAPoolStoppedMidShoppingIsResumedWithoutLosingOrDoublingAList(t *testing.T) {
	m := openDepotMall(t)
	prefix := "restart-" + uuid.NewString()[:8] + "-bot-"
	first := startTestPool(t, prefix, 6, time.Hour)
	var lists []string
	for range 24 {
		list := m.newList(t)
		initiate(t, list)
		lists = append(lists, list)
	}
	var taken map[string]string // list → the first pool's bot
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		taken = map[string]string{}
		for _, list := range lists {
			r := api(t).Do("GET", "/api/depot/shopping/"+list, nil)
			if bot := r.S("botId"); strings.HasPrefix(bot, prefix) {
				taken[list] = bot
			}
		}
		return len(taken) > 0, "no list went to the stopped pool's bots"
	})
	first.stop()
	t.Logf("%d lists were on the stopped pool's bots: %v", len(taken), taken)

	startTestPool(t, prefix, 6, 50*time.Millisecond)
	for _, list := range lists {
		r := listReaches(t, list, "completed", 30*time.Second)
		if bot, ok := taken[list]; ok && r.S("botId") != bot {
			t.Errorf("%s was on %s and completed by %s", list, bot, r.S("botId"))
		}
	}
	var assigned, completed map[string]int
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		assigned, completed = countEvents(t, topics.ShoppingLists.Events.Name, lists)
		return len(assigned) == len(lists) && len(completed) == len(lists), fmt.Sprintf("in the log: assigned %v, completed %v", assigned, completed)
	})
	for _, list := range lists {
		if assigned[list] != 1 || completed[list] != 1 {
			t.Errorf("%s: assigned %d times, completed %d times in the log; want once each", list, assigned[list], completed[list])
		}
	}
}

type testPool struct{ stop func() }

// startTestPool runs a second bot pool against the running system, with
// its own bot names.
func startTestPool(t *testing.T, prefix string, n int, shopping time.Duration) testPool {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := bots.New(n, sys.Commands(), bots.WithShoppingTime(shopping), bots.WithPrefix(prefix), bots.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	gc := runtimeAs(t, topics.RoleBotPool, log)
	feeds, err := bots.Views(p, sys.Brokers(), sys.Serde(), gc.ViewOptions)
	if err != nil {
		t.Fatal(err)
	}
	stop := testkit.Background(t, "the test pool", func(ctx context.Context) error { return p.Run(ctx, feeds...) })
	testkit.Eventually(t, 30*time.Second, func() (bool, string) { return p.Ready(), "the test pool is not ready" })
	return testPool{stop: stop}
}

// countEvents reads an event topic to its end and counts the
// ShoppingListAssigned and ShoppingListCompleted records of the lists.
func countEvents(t *testing.T, topic string, lists []string) (assigned, completed map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			remaining[o.Partition] = o.Offset
		}
	})
	want := map[string]bool{}
	for _, l := range lists {
		want[l] = true
	}
	assigned, completed = map[string]int{}, map[string]int{}
	for len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("did not read %s to its end: %v left", topic, remaining)
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			if rec.Offset+1 >= remaining[rec.Partition] {
				delete(remaining, rec.Partition)
			}
			if !want[string(rec.Key)] {
				return
			}
			ev, err := sys.Serde().Decode(context.Background(), positionOf(rec), rec.Value)
			if err != nil {
				t.Fatal(err)
			}
			switch ev.(type) {
			case *contractdepot.ShoppingListAssigned:
				assigned[string(rec.Key)]++
			case *contractdepot.ShoppingListCompleted:
				completed[string(rec.Key)]++
			}
		})
	}
	return assigned, completed
}
