package depot

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// Both depot groups run under goka's tester (enginetest), with the stores
// and products tables filled in directly (as the stores context publishes
// them).

var meta = enginetest.Meta

func list(r *enginetest.Rig, id string) *depot.ShoppingListSnapshot {
	return enginetest.Snapshot[depot.ShoppingList](r, topics.ShoppingLists, id)
}

func openMall(r *enginetest.Rig) {
	enginetest.SetSnapshot(r, topics.Stores, &stores.StoreSnapshot{AggregateID: "s1", Version: 2, State: stores.Store{ID: "s1", Name: "Waldorf Books", Location: "Level 1", Participating: true}})
	enginetest.SetSnapshot(r, topics.Products, &stores.ProductSnapshot{AggregateID: "p1", Version: 1, State: stores.Product{ID: "p1", StoreID: "s1", Name: "A Novel", PriceCents: 999}})
}

func TestCreateShoppingListLooksUpStoresAndProductsAndRepliesToTheSaga(t *testing.T) {
	r := enginetest.New(t, Groups)
	toSaga := enginetest.FromSaga("order-1")
	create := &depot.CreateShoppingList{CommandMeta: meta("c1", "list-1"), OrderID: "order-1",
		Items: []depot.ListItem{{StoreID: "s1", ProductID: "p1", Quantity: 2}, {StoreID: "s1", ProductID: "p1", Quantity: 1}}}

	r.Send(create, toSaga)
	res := r.NextResult()
	if res.Accepted || res.Message != "the shopping list cannot be created" || res.Kind != "invalid" {
		t.Fatalf("before the mall opened: %+v", res)
	}
	if _, reply := r.NextReply(); reply.CommandID != "c1" || reply.Accepted {
		t.Fatalf("the saga got %+v", reply)
	}

	openMall(r)
	create.CommandID = "c2"
	r.Send(create, toSaga)
	if res := r.NextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "shopping_list" {
		t.Fatalf("unexpected %+v", res)
	}
	if _, reply := r.NextReply(); reply.CommandID != "c2" || !reply.Accepted {
		t.Fatalf("the saga got %+v", reply)
	}
	ev := r.NextEvent(topics.ShoppingLists).(*depot.ShoppingListCreated)
	stop := ev.Stops["s1"]
	if ev.OrderID != "order-1" || stop.StoreName != "Waldorf Books" || stop.StoreLocation != "Level 1" || stop.Items["p1"] != (depot.StopItem{ProductName: "A Novel", Quantity: 3}) {
		t.Fatalf("unexpected %+v", ev)
	}
	if snap := list(r, "list-1"); snap.Version != 1 || snap.State.Status != StatusPending || snap.State.ID != "list-1" {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}

func TestAShoppingListBecomesAvailableIsAssignedAndCompleted(t *testing.T) {
	r := enginetest.New(t, Groups)
	openMall(r)
	r.Send(&depot.CreateShoppingList{CommandMeta: meta("c1", "list-1"), OrderID: "order-1", Items: []depot.ListItem{{StoreID: "s1", ProductID: "p1", Quantity: 1}}})
	r.Send(&depot.InitiateShopping{CommandMeta: meta("c2", "list-1")})
	if snap := list(r, "list-1"); snap.State.Status != StatusAvailable || !snap.State.AvailableAt.Equal(r.Now()) {
		t.Fatalf("want available since %s: %+v", r.Now(), snap.State)
	}
	r.Send(&depot.AssignShoppingList{CommandMeta: meta("c3", "list-1"), BotID: "bot-1"})
	r.Send(&depot.CompleteShoppingList{CommandMeta: meta("c4", "list-1")})
	r.Send(&depot.CancelShoppingList{CommandMeta: meta("c5", "list-1")})
	for i, want := range []bool{true, true, true, true, false} {
		if res := r.NextResult(); res.Accepted != want {
			t.Fatalf("command %d: %+v", i+1, res)
		}
	}
	r.NextEvent(topics.ShoppingLists)
	r.NextEvent(topics.ShoppingLists)
	if ev := r.NextEvent(topics.ShoppingLists).(*depot.ShoppingListAssigned); ev.BotID != "bot-1" || ev.AggregateVersion != 3 {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.NextEvent(topics.ShoppingLists).(*depot.ShoppingListCompleted); ev.OrderID != "order-1" || ev.AggregateVersion != 4 {
		t.Fatalf("unexpected %+v", ev)
	}
	if snap := list(r, "list-1"); snap.Version != 4 || snap.State.Status != StatusCompleted || snap.State.BotID != "bot-1" {
		t.Fatalf("unexpected %+v", snap.State)
	}
}

func TestABotIsAssignedAndReleasedThroughItsGroup(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&depot.AssignBot{CommandMeta: meta("c1", "bot-1"), ShoppingListID: "list-1"})
	r.Send(&depot.AssignBot{CommandMeta: meta("c2", "bot-1"), ShoppingListID: "list-2"})
	r.Send(&depot.ReleaseBot{CommandMeta: meta("c3", "bot-1"), ShoppingListID: "list-1"})
	r.Send(&depot.ReleaseBot{CommandMeta: meta("c4", "bot-2"), ShoppingListID: "list-1"})
	want := []struct {
		accepted bool
		version  int64
		message  string
	}{{true, 1, ""}, {false, 1, "the bot is busy"}, {true, 2, ""}, {true, 0, ""}}
	for i, w := range want {
		if res := r.NextResult(); res.Accepted != w.accepted || res.Version != w.version || res.Message != w.message {
			t.Fatalf("command %d: %+v", i+1, res)
		}
	}
	if ev := r.NextEvent(topics.Bots).(*depot.BotAssigned); ev.ShoppingListID != "list-1" {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.NextEvent(topics.Bots).(*depot.BotReleased); ev.ShoppingListID != "list-1" || ev.AggregateVersion != 2 {
		t.Fatalf("unexpected %+v", ev)
	}
	if snap := enginetest.Snapshot[depot.Bot](r, topics.Bots, "bot-2"); snap != nil {
		t.Fatalf("releasing an unknown bot stored %+v", snap)
	}
}
