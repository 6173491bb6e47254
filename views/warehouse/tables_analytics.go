package warehouse

// The analytics tables (migrations 0013-0015): facts extracted from the
// event log by the analytics projection, one row per order line, order
// milestone and basket event, for the cookbook in docs/analytics.md.
var (
	// OrderLinesTable has one row per line of every order created.
	OrderLinesTable = Table{Name: "order_lines", Columns: []string{
		"order_id", "line", "customer_id", "store_id", "store_name", "product_id", "product_name",
		"price", "quantity", "amount", "ordered_at",
	}}
	// OrderMilestonesTable has one row per step of every order's life.
	OrderMilestonesTable = Table{Name: "order_milestones", Columns: []string{
		"order_id", "milestone", "reason", "total", "at", "at_ms", "version",
	}}
	// BasketActivityTable has one row per event of every basket.
	BasketActivityTable = Table{Name: "basket_activity", Columns: []string{
		"basket_id", "step", "customer_id", "product_id", "quantity", "at", "at_ms", "version",
	}}
)
