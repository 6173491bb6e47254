// Package depot runs the depot context: the ShoppingList and Bot
// aggregates. shoppinglist.go and bot.go are the pure rules (decide/evolve,
// no I/O); processor.go builds their goka groups on processors/engine. The
// bots themselves (the pool that takes available lists, shops and
// completes them) are a Go component in processors/depot/bots.
//
// ShoppingList consumes mallbots.shoppinglists.commands (from the create-order
// saga, the bots and the order-canceled policy), looks up the stores and
// products tables to name each stop and item, and appends to
// mallbots.shoppinglists.events. Bot consumes mallbots.bots.commands (from the
// bots) and appends to mallbots.bots.events.
package depot

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The statuses of a shopping list: pending → available → assigned →
// completed, or canceled from any but completed.
const (
	StatusPending   = "pending"
	StatusAvailable = "available"
	StatusAssigned  = "assigned"
	StatusCompleted = "completed"
	StatusCanceled  = "canceled"
)

// ShoppingList rejections, with the exact texts of docs/domain.md. Every refusal
// of CreateShoppingList answers the domain's one text; the codes say why.
var (
	// ErrCannotCreate: a store or product of the order is unknown, the
	// product was removed, or it is not sold by the store the line names.
	ErrCannotCreate = aggregate.CannotBe("shopping list", "created")
	// ErrNoItems: no lines, a line without a store or product id, or a
	// quantity below 1.
	ErrNoItems = aggregate.Reject(aggregate.Invalid, "shopping_list_items_invalid", "the shopping list cannot be created")
	// ErrItemQuantityTooLarge: a product's quantity (its lines added up)
	// above limits.MaxLineQuantity, the most an order line holds
	// (docs/adr/0014).
	ErrItemQuantityTooLarge = aggregate.Reject(aggregate.Invalid, "shopping_list_item_quantity_too_large", "the shopping list cannot be created")
	// ErrTooManyItems: more lines than limits.MaxLines, the most an order
	// holds.
	ErrTooManyItems = aggregate.Reject(aggregate.Invalid, "shopping_list_has_too_many_items", "the shopping list cannot be created")
	// ErrOrderIDBlank: a shopping list belongs to an order.
	ErrOrderIDBlank = aggregate.Reject(aggregate.Invalid, "shopping_list_order_id_blank", "the shopping list cannot be created")
	// ErrShoppingListExists refuses CreateShoppingList with an id already
	// used (400, like every "already exists" rule).
	ErrShoppingListExists   = aggregate.AlreadyExists("shopping list")
	ErrShoppingListNotFound = aggregate.DoesNotExist("shopping list")
	ErrCannotInitiate       = aggregate.CannotBe("shopping list", "initiated")
	ErrCannotAssign         = aggregate.CannotBe("shopping list", "assigned")
	ErrCannotComplete       = aggregate.CannotBe("shopping list", "completed")
	ErrCannotCancel         = aggregate.CannotBe("shopping list", "canceled")
	ErrBotIDBlank           = aggregate.CannotBeBlank("bot id")
)

// ShoppingListRules are the ShoppingList aggregate's rules. CreateShoppingList
// sees each line's store and product through the stores and products tables
// (event-carried state, read with goka Lookup).
var ShoppingListRules = aggregate.Rules[depot.ShoppingList, depot.ShoppingListCommand, depot.ShoppingListEvent]{
	Type:   topics.ShoppingLists.Type,
	Needs:  shoppingListNeeds,
	Decide: aggregate.Lifecycle(ErrShoppingListExists, ErrShoppingListNotFound, createShoppingList, changeShoppingList),
	Evolve: evolveShoppingList,
}

func shoppingListNeeds(cmd depot.ShoppingListCommand, _ aggregate.Facts) []aggregate.Ref {
	c, ok := cmd.(*depot.CreateShoppingList)
	if !ok {
		return nil
	}
	var refs []aggregate.Ref
	for _, it := range c.Items {
		if !aggregate.Blank(it.StoreID) {
			refs = append(refs, aggregate.Ref{Table: topics.Stores.Table.Name, Key: it.StoreID})
		}
		if !aggregate.Blank(it.ProductID) {
			refs = append(refs, aggregate.Ref{Table: topics.Products.Table.Name, Key: it.ProductID})
		}
	}
	return refs
}

func changeShoppingList(l *depot.ShoppingList, cmd depot.ShoppingListCommand, _ aggregate.Facts) ([]depot.ShoppingListEvent, error) {
	switch c := cmd.(type) {
	case *depot.InitiateShopping:
		return aggregate.Emit[depot.ShoppingListEvent](&depot.ShoppingListInitiated{}, aggregate.When(l.Status != StatusPending, ErrCannotInitiate))
	case *depot.AssignShoppingList:
		switch {
		case aggregate.Blank(c.BotID):
			return nil, ErrBotIDBlank
		case l.Status == StatusAssigned && l.BotID == c.BotID:
			return nil, nil // already this bot's: a retried assignment changes nothing
		case l.Status != StatusAvailable:
			return nil, ErrCannotAssign
		}
		return aggregate.One[depot.ShoppingListEvent](&depot.ShoppingListAssigned{BotID: c.BotID}), nil
	case *depot.CompleteShoppingList:
		return aggregate.Emit[depot.ShoppingListEvent](&depot.ShoppingListCompleted{OrderID: l.OrderID}, aggregate.When(l.Status != StatusAssigned, ErrCannotComplete))
	case *depot.CancelShoppingList:
		return aggregate.Emit[depot.ShoppingListEvent](&depot.ShoppingListCanceled{}, aggregate.When(l.Status == StatusCompleted || l.Status == StatusCanceled, ErrCannotCancel))
	}
	return nil, fmt.Errorf("the shopping list aggregate does not handle %T", cmd)
}

// createShoppingList builds the stops: one per store, its items keyed by
// product, the quantities of repeated lines added up. It re-checks the
// order's limits on what it is given: no more lines than an order holds,
// no product in a quantity an order line could not hold.
func createShoppingList(c *depot.CreateShoppingList, facts aggregate.Facts) ([]depot.ShoppingListEvent, error) {
	if err := aggregate.Refuse(
		aggregate.When(aggregate.Blank(c.OrderID), ErrOrderIDBlank),
		aggregate.When(len(c.Items) == 0, ErrNoItems),
		aggregate.When(len(c.Items) > limits.MaxLines, ErrTooManyItems),
	); err != nil {
		return nil, err
	}
	stops := map[string]depot.Stop{}
	for _, it := range c.Items {
		switch {
		case aggregate.Blank(it.StoreID) || aggregate.Blank(it.ProductID) || it.Quantity < 1:
			return nil, ErrNoItems
		case it.Quantity > limits.MaxLineQuantity:
			return nil, ErrItemQuantityTooLarge
		}
		store, ok := aggregate.State[stores.Store](facts, topics.Stores.Table.Name, it.StoreID)
		if !ok {
			return nil, ErrCannotCreate
		}
		product, ok := aggregate.State[stores.Product](facts, topics.Products.Table.Name, it.ProductID)
		if !ok || product.Removed || product.StoreID != it.StoreID {
			return nil, ErrCannotCreate
		}
		stop, ok := stops[it.StoreID]
		if !ok {
			stop = depot.Stop{StoreName: store.Name, StoreLocation: store.Location, Items: map[string]depot.StopItem{}}
		}
		item := stop.Items[it.ProductID]
		item.ProductName = product.Name
		item.Quantity += it.Quantity // at most MaxLines × MaxLineQuantity: no overflow
		if item.Quantity > limits.MaxLineQuantity {
			return nil, ErrItemQuantityTooLarge
		}
		stop.Items[it.ProductID] = item
		stops[it.StoreID] = stop
	}
	return aggregate.One[depot.ShoppingListEvent](&depot.ShoppingListCreated{OrderID: c.OrderID, Stops: stops}), nil
}

func evolveShoppingList(l depot.ShoppingList, ev depot.ShoppingListEvent) (depot.ShoppingList, error) {
	switch e := ev.(type) {
	case *depot.ShoppingListCreated:
		return depot.ShoppingList{ID: e.AggregateID, OrderID: e.OrderID, Stops: e.Stops, Status: StatusPending}, nil
	case *depot.ShoppingListInitiated:
		l.Status, l.AvailableAt = StatusAvailable, e.OccurredAt
	case *depot.ShoppingListAssigned:
		l.Status, l.BotID = StatusAssigned, e.BotID
	case *depot.ShoppingListCompleted:
		l.Status = StatusCompleted
	case *depot.ShoppingListCanceled:
		l.Status = StatusCanceled
	default:
		return l, fmt.Errorf("the shopping list aggregate cannot apply %T", ev)
	}
	return l, nil
}
