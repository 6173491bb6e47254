package warehouse

// OrderSearchTable is the order search read model, one row per order
// version, read with FINAL (see migrations/0012_order_search.sql and
// docs/adr/0009-order-search.md), columns in declared order.
var OrderSearchTable = Table{Name: "order_search", Columns: []string{
	"order_id", "customer_id", "store_ids", "product_ids",
	"item_product_ids", "item_product_names", "item_store_ids", "item_store_names", "item_prices", "item_quantities",
	"total", "status", "created_at", "created_at_ms", "updated_at", "updated_at_ms", "version",
}}
