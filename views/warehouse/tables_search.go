package warehouse

import "hash/fnv"

// OrderSearchTable is the order search read model, one row per order
// version, read with FINAL (see migrations/0012_order_search.sql and
// docs/adr/0009-order-search.md), columns in declared order.
var OrderSearchTable = Table{Name: "order_search", Columns: []string{
	"order_id", "customer_id", "customer_key", "store_ids", "store_keys", "product_ids", "product_keys",
	"item_product_ids", "item_product_names", "item_store_ids", "item_store_names", "item_prices", "item_quantities",
	"total", "status", "created_at", "created_at_ms", "updated_at", "updated_at_ms", "version",
}}

// SearchKey is the key column of an id in mallbots.order_search
// (customer_key, store_keys, product_keys): the 64-bit FNV-1a hash of the
// id's bytes. Searches compare these eight bytes instead of 36-character
// strings; two ids may share a key, so a search checks its rows against
// the ids themselves.
func SearchKey(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// SearchKeys are the keys of ids, in order.
func SearchKeys(ids []string) []uint64 {
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = SearchKey(id)
	}
	return out
}
