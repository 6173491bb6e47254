package depot

import (
	"testing"
	"time"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

type listSpec = aggregatetest.Spec[depot.ShoppingListCommand, depot.ShoppingListEvent]

// mall is what the stores context has published: two stores, three
// products, one of them removed.
func mall() aggregate.Facts {
	store := func(id, name, location string) aggregate.Facts {
		return aggregatetest.Fact(topics.Stores.Table.Name, id, stores.Store{ID: id, Name: name, Location: location})
	}
	product := func(id, storeID, name string, removed bool) aggregate.Facts {
		return aggregatetest.Fact(topics.Products.Table.Name, id, stores.Product{ID: id, StoreID: storeID, Name: name, PriceCents: 100, Removed: removed})
	}
	f := aggregatetest.Facts(
		store("books", "Waldorf Books", "Level 1"),
		store("toys", "Nic & Naks", "Level 2"),
		product("novel", "books", "A Novel", false),
		product("atlas", "books", "An Atlas", false),
		product("wizard", "toys", "Wizard w/ crystal", false),
		product("gone", "toys", "Discontinued", true),
	)
	// Unknown ids are looked up too and found absent.
	f[aggregate.Ref{Table: topics.Stores.Table.Name, Key: "nowhere"}] = nil
	f[aggregate.Ref{Table: topics.Products.Table.Name, Key: "nothing"}] = nil
	return f
}

// wizardsListed is the list created for qty wizards alone: one stop, the
// toy store, with one item.
func wizardsListed(qty int32) []depot.ShoppingListEvent {
	return []depot.ShoppingListEvent{&depot.ShoppingListCreated{OrderID: "order-1", Stops: map[string]depot.Stop{
		"toys": {StoreName: "Nic & Naks", StoreLocation: "Level 2", Items: map[string]depot.StopItem{
			"wizard": {ProductName: "Wizard w/ crystal", Quantity: qty}}},
	}}}
}

func line(store, product string, qty int32) depot.ListItem {
	return depot.ListItem{StoreID: store, ProductID: product, Quantity: qty}
}

func repeat(it depot.ListItem, n int) []depot.ListItem {
	out := make([]depot.ListItem, n)
	for i := range out {
		out[i] = it
	}
	return out
}

func create(items ...depot.ListItem) *depot.CreateShoppingList {
	return &depot.CreateShoppingList{OrderID: "order-1", Items: items}
}

func created() depot.ShoppingListEvent {
	return &depot.ShoppingListCreated{OrderID: "order-1", Stops: map[string]depot.Stop{
		"books": {StoreName: "Waldorf Books", StoreLocation: "Level 1", Items: map[string]depot.StopItem{"novel": {ProductName: "A Novel", Quantity: 1}}},
	}}
}

func initiated() depot.ShoppingListEvent { return &depot.ShoppingListInitiated{} }
func assigned(bot string) depot.ShoppingListEvent {
	return &depot.ShoppingListAssigned{BotID: bot}
}
func completed() depot.ShoppingListEvent { return &depot.ShoppingListCompleted{OrderID: "order-1"} }
func canceled() depot.ShoppingListEvent  { return &depot.ShoppingListCanceled{} }

func TestCreatingAShoppingList(t *testing.T) {
	facts := mall()
	aggregatetest.Run(t, ShoppingListRules, []listSpec{
		{Name: "one stop per store, named from the stores context, items keyed by product",
			When: create(line("books", "novel", 1), line("toys", "wizard", 2), line("books", "atlas", 3)), Facts: facts,
			Then: []depot.ShoppingListEvent{&depot.ShoppingListCreated{OrderID: "order-1", Stops: map[string]depot.Stop{
				"books": {StoreName: "Waldorf Books", StoreLocation: "Level 1", Items: map[string]depot.StopItem{
					"novel": {ProductName: "A Novel", Quantity: 1}, "atlas": {ProductName: "An Atlas", Quantity: 3}}},
				"toys": {StoreName: "Nic & Naks", StoreLocation: "Level 2", Items: map[string]depot.StopItem{
					"wizard": {ProductName: "Wizard w/ crystal", Quantity: 2}}},
			}}}},
		{Name: "several lines for the same product in the same store merge into one item",
			When: create(line("toys", "wizard", 2), line("toys", "wizard", 5)), Facts: facts,
			Then: wizardsListed(7)},
		{Name: "an unknown store fails",
			When: create(line("nowhere", "novel", 1)), Facts: facts, Err: ErrCannotCreate},
		{Name: "an unknown product fails",
			When: create(line("books", "novel", 1), line("books", "nothing", 1)), Facts: facts, Err: ErrCannotCreate},
		{Name: "a removed product fails",
			When: create(line("toys", "gone", 1)), Facts: facts, Err: ErrCannotCreate},
		{Name: "a product the store does not sell fails",
			When: create(line("toys", "novel", 1)), Facts: facts, Err: ErrCannotCreate},
		{Name: "a list without items fails",
			When: create(), Facts: facts, Err: ErrNoItems},
		{Name: "a quantity below one fails",
			When: create(line("books", "novel", 0)), Facts: facts, Err: ErrNoItems},
		{Name: "a product in the largest quantity an order line holds, 1,000, is listed",
			When: create(line("toys", "wizard", 1000)), Facts: facts,
			Then: wizardsListed(1000)},
		{Name: "a quantity above 1,000 fails",
			When: create(line("toys", "wizard", 1001)), Facts: facts, Err: ErrItemQuantityTooLarge},
		{Name: "the 2,147,483,647 units of issue 20 fail",
			When: create(line("toys", "wizard", 2147483647)), Facts: facts, Err: ErrItemQuantityTooLarge},
		{Name: "lines of one product that add up past 1,000 fail",
			When: create(line("toys", "wizard", 600), line("books", "novel", 1), line("toys", "wizard", 401)), Facts: facts, Err: ErrItemQuantityTooLarge},
		{Name: "100 lines, the most an order holds, are listed",
			When: create(repeat(line("toys", "wizard", 10), 100)...), Facts: facts,
			Then: wizardsListed(1000)},
		{Name: "101 lines fail",
			When: create(repeat(line("toys", "wizard", 1), 101)...), Facts: facts, Err: ErrTooManyItems},
		{Name: "a line without a product fails",
			When: create(line("books", "", 1)), Facts: facts, Err: ErrNoItems},
		{Name: "a list without an order fails",
			When: &depot.CreateShoppingList{Items: []depot.ListItem{line("books", "novel", 1)}}, Facts: facts, Err: ErrOrderIDBlank},
		{Name: "an id already used fails",
			Given: []depot.ShoppingListEvent{created()},
			When:  create(line("books", "novel", 1)), Facts: facts, Err: ErrShoppingListExists},
	})
}

func TestTheLifeOfAShoppingList(t *testing.T) {
	aggregatetest.Run(t, ShoppingListRules, []listSpec{
		{Name: "initiating a pending list makes it available",
			Given: []depot.ShoppingListEvent{created()},
			When:  &depot.InitiateShopping{}, Then: []depot.ShoppingListEvent{initiated()}},
		{Name: "initiating twice fails",
			Given: []depot.ShoppingListEvent{created(), initiated()},
			When:  &depot.InitiateShopping{}, Err: ErrCannotInitiate},
		{Name: "assigning an available list",
			Given: []depot.ShoppingListEvent{created(), initiated()},
			When:  &depot.AssignShoppingList{BotID: "bot-1"}, Then: []depot.ShoppingListEvent{assigned("bot-1")}},
		{Name: "assigning a pending list fails",
			Given: []depot.ShoppingListEvent{created()},
			When:  &depot.AssignShoppingList{BotID: "bot-1"}, Err: ErrCannotAssign},
		{Name: "assigning a list another bot has fails",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1")},
			When:  &depot.AssignShoppingList{BotID: "bot-2"}, Err: ErrCannotAssign},
		{Name: "assigning a list again to the bot that has it changes nothing",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1")},
			When:  &depot.AssignShoppingList{BotID: "bot-1"}, Then: nil},
		{Name: "assigning a canceled list fails",
			Given: []depot.ShoppingListEvent{created(), initiated(), canceled()},
			When:  &depot.AssignShoppingList{BotID: "bot-1"}, Err: ErrCannotAssign},
		{Name: "assigning to no bot fails",
			Given: []depot.ShoppingListEvent{created(), initiated()},
			When:  &depot.AssignShoppingList{BotID: " "}, Err: ErrBotIDBlank},
		{Name: "completing an assigned list tells the order",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1")},
			When:  &depot.CompleteShoppingList{}, Then: []depot.ShoppingListEvent{completed()}},
		{Name: "completing an available list fails",
			Given: []depot.ShoppingListEvent{created(), initiated()},
			When:  &depot.CompleteShoppingList{}, Err: ErrCannotComplete},
		{Name: "completing twice fails",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1"), completed()},
			When:  &depot.CompleteShoppingList{}, Err: ErrCannotComplete},
		{Name: "completing a canceled list fails",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1"), canceled()},
			When:  &depot.CompleteShoppingList{}, Err: ErrCannotComplete},
		{Name: "canceling a pending list",
			Given: []depot.ShoppingListEvent{created()},
			When:  &depot.CancelShoppingList{}, Then: []depot.ShoppingListEvent{canceled()}},
		{Name: "canceling an assigned list",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1")},
			When:  &depot.CancelShoppingList{}, Then: []depot.ShoppingListEvent{canceled()}},
		{Name: "canceling a completed list fails",
			Given: []depot.ShoppingListEvent{created(), initiated(), assigned("bot-1"), completed()},
			When:  &depot.CancelShoppingList{}, Err: ErrCannotCancel},
		{Name: "canceling twice fails",
			Given: []depot.ShoppingListEvent{created(), canceled()},
			When:  &depot.CancelShoppingList{}, Err: ErrCannotCancel},
		{Name: "any command but create on an unknown list fails",
			When: &depot.InitiateShopping{}, Err: ErrShoppingListNotFound},
		{Name: "canceling an unknown list fails",
			When: &depot.CancelShoppingList{}, Err: ErrShoppingListNotFound},
		{Name: "assigning an unknown list fails",
			When: &depot.AssignShoppingList{BotID: "bot-1"}, Err: ErrShoppingListNotFound},
	})
}

func TestTheStateOfAShoppingList(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	events := []depot.ShoppingListEvent{created(), initiated(), assigned("bot-2")}
	events[0].EventMetadata().AggregateID = "list-1"
	events[1].EventMetadata().OccurredAt = at
	var l depot.ShoppingList
	for _, ev := range events {
		var err error
		if l, err = evolveShoppingList(l, ev); err != nil {
			t.Fatal(err)
		}
	}
	if l.ID != "list-1" || l.OrderID != "order-1" || l.Status != StatusAssigned || l.BotID != "bot-2" || !l.AvailableAt.Equal(at) || len(l.Stops) != 1 {
		t.Fatalf("unexpected state %+v", l)
	}
	if _, err := evolveShoppingList(l, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}

// Every refusal of a creation answers the domain's text.
func TestEveryCreationRefusalSaysTheListCannotBeCreated(t *testing.T) {
	for _, r := range []*aggregate.Rejection{ErrCannotCreate, ErrNoItems, ErrOrderIDBlank, ErrItemQuantityTooLarge, ErrTooManyItems} {
		if r.Message != "the shopping list cannot be created" || r.Kind != aggregate.Invalid {
			t.Errorf("%s: %q (%s)", r.Code, r.Message, r.Kind)
		}
	}
}
