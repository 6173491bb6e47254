package warehouse

// BasketsTable holds each basket's current state (see
// migrations/0007_baskets.sql), columns in declared order.
var BasketsTable = Table{Name: "baskets", Columns: []string{
	"id", "customer_id", "payment_id", "status", "item_count", "total", "version", "updated_at",
}}
