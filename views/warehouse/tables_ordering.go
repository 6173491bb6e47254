package warehouse

// OrdersTable holds each order's current state (see
// migrations/0008_orders.sql), columns in declared order.
var OrdersTable = Table{Name: "orders", Columns: []string{
	"id", "customer_id", "payment_id", "shopping_list_id", "invoice_id", "total",
	"status", "rejection_reason", "item_count", "version", "updated_at",
}}
