// Package depot is the published contract of the depot context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.depot).
package depot

import (
	"embed"
	"time"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// ShoppingListCommand is a command to the ShoppingList aggregate.
type ShoppingListCommand interface {
	schemas.Command
	shoppingListCommand()
}

// ShoppingListEvent is an event of the ShoppingList aggregate.
type ShoppingListEvent interface {
	schemas.Event
	shoppingListEvent()
}

// BotCommand is a command to the Bot aggregate.
type BotCommand interface {
	schemas.Command
	botCommand()
}

// BotEvent is an event of the Bot aggregate.
type BotEvent interface {
	schemas.Event
	botEvent()
}

// ListItem is a record of the depot contract.
type ListItem struct {
	ProductID string `avro:"productId"`
	StoreID   string `avro:"storeId"`
	Quantity  int32  `avro:"quantity"`
}

// Stop is a record of the depot contract.
type Stop struct {
	StoreName     string              `avro:"storeName"`
	StoreLocation string              `avro:"storeLocation"`
	Items         map[string]StopItem `avro:"items"`
}

// StopItem is a record of the depot contract.
type StopItem struct {
	ProductName string `avro:"productName"`
	Quantity    int32  `avro:"quantity"`
}

// ShoppingList is a record of the depot contract.
type ShoppingList struct {
	ID          string          `avro:"id"`
	OrderID     string          `avro:"orderId"`
	Stops       map[string]Stop `avro:"stops"`
	BotID       string          `avro:"botId"`
	Status      string          `avro:"status"`
	AvailableAt time.Time       `avro:"availableAt"`
}

// Bot is a record of the depot contract.
type Bot struct {
	ID             string `avro:"id"`
	Status         string `avro:"status"`
	ShoppingListID string `avro:"shoppingListId"`
}

// CreateShoppingList: create-order saga: the list of what to collect; aggregateId is the new list id.
type CreateShoppingList struct {
	schemas.CommandMeta
	OrderID string     `avro:"orderId"`
	Items   []ListItem `avro:"items"`
}

// InitiateShopping: create-order saga: the list becomes available to bots.
type InitiateShopping struct{ schemas.CommandMeta }

// AssignShoppingList: the dispatcher assigns the list to a bot.
type AssignShoppingList struct {
	schemas.CommandMeta
	BotID string `avro:"botId"`
}

// CompleteShoppingList: the bot collected everything.
type CompleteShoppingList struct{ schemas.CommandMeta }

// CancelShoppingList: the order was rejected or canceled.
type CancelShoppingList struct{ schemas.CommandMeta }

// ShoppingListCreated: a shopping list was created.
type ShoppingListCreated struct {
	schemas.EventMeta
	OrderID string          `avro:"orderId"`
	Stops   map[string]Stop `avro:"stops"`
}

// ShoppingListInitiated: a shopping list is available to bots.
type ShoppingListInitiated struct{ schemas.EventMeta }

// ShoppingListAssigned: a bot took the list.
type ShoppingListAssigned struct {
	schemas.EventMeta
	BotID string `avro:"botId"`
}

// ShoppingListCompleted: a bot completed the list.
type ShoppingListCompleted struct {
	schemas.EventMeta
	OrderID string `avro:"orderId"`
}

// ShoppingListCanceled: a shopping list was canceled.
type ShoppingListCanceled struct{ schemas.EventMeta }

// ShoppingListSnapshot is the state-table record of a ShoppingList.
type ShoppingListSnapshot = schemas.Snapshot[ShoppingList]

// AssignBot: the dispatcher gives an idle bot a list; aggregateId is the bot id.
type AssignBot struct {
	schemas.CommandMeta
	ShoppingListID string `avro:"shoppingListId"`
}

// ReleaseBot: the bot is done with its list.
type ReleaseBot struct {
	schemas.CommandMeta
	ShoppingListID string `avro:"shoppingListId"`
}

// BotAssigned: a bot became active on a list.
type BotAssigned struct {
	schemas.EventMeta
	ShoppingListID string `avro:"shoppingListId"`
}

// BotReleased: a bot became idle.
type BotReleased struct {
	schemas.EventMeta
	ShoppingListID string `avro:"shoppingListId"`
}

// BotSnapshot is the state-table record of a Bot.
type BotSnapshot = schemas.Snapshot[Bot]

func (*CreateShoppingList) shoppingListCommand()   {}
func (*InitiateShopping) shoppingListCommand()     {}
func (*AssignShoppingList) shoppingListCommand()   {}
func (*CompleteShoppingList) shoppingListCommand() {}
func (*CancelShoppingList) shoppingListCommand()   {}
func (*ShoppingListCreated) shoppingListEvent()    {}
func (*ShoppingListInitiated) shoppingListEvent()  {}
func (*ShoppingListAssigned) shoppingListEvent()   {}
func (*ShoppingListCompleted) shoppingListEvent()  {}
func (*ShoppingListCanceled) shoppingListEvent()   {}
func (*AssignBot) botCommand()                     {}
func (*ReleaseBot) botCommand()                    {}
func (*BotAssigned) botEvent()                     {}
func (*BotReleased) botEvent()                     {}

// Types returns the record types of the depot context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.depot", schemas.Records(
		new(CreateShoppingList), new(InitiateShopping), new(AssignShoppingList),
		new(CompleteShoppingList), new(CancelShoppingList), new(ShoppingListCreated),
		new(ShoppingListInitiated), new(ShoppingListAssigned), new(ShoppingListCompleted),
		new(ShoppingListCanceled), new(ShoppingListSnapshot), new(AssignBot), new(ReleaseBot),
		new(BotAssigned), new(BotReleased), new(BotSnapshot),
	), nil)
}
