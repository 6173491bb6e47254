package warehouse

// The depot context's current-state tables, columns in declared order.
var (
	// ShoppingListsTable holds each shopping list's current state (see
	// migrations/0009_shopping_lists.sql).
	ShoppingListsTable = Table{Name: "shopping_lists", Columns: []string{
		"id", "order_id", "bot_id", "status", "stop_count", "item_count", "available_at", "version", "updated_at",
	}}
	// BotsTable holds each bot's current state (see migrations/0010_bots.sql).
	BotsTable = Table{Name: "bots", Columns: []string{
		"id", "status", "shopping_list_id", "version", "updated_at",
	}}
)
