package warehouse

// Database is the ClickHouse database of the analysts' contract.
const Database = "mallbots"

// The tables of the analysts' contract, with columns in their declared
// order (the order Row.Values follow). These names are stable: a column is
// added, never renamed or retyped, without a migration note in the
// cookbook. A test checks them against the migrated schema.
var (
	// EventsTable has one row per event ever appended (see
	// migrations/0001_events.sql for types and keys).
	EventsTable = Table{Name: "events", Columns: []string{
		"event_id", "event_type", "schema_version",
		"aggregate_type", "aggregate_id", "aggregate_version",
		"occurred_at", "occurred_at_ms",
		"command_id", "correlation_id", "causation_id",
		"payload", "topic", "partition", "offset",
		"prev_hash", "hash", // 0021: the hash chain, added after the others
		"issued_by", "issuer_role", // 0022: who issued the command (docs/adr/0023)
	}}
	// StoresTable holds each store's current state.
	StoresTable = Table{Name: "stores", Columns: []string{
		"id", "name", "location", "participating", "version", "updated_at",
	}}
	// ProductsTable holds each product's current state.
	ProductsTable = Table{Name: "products", Columns: []string{
		"id", "store_id", "name", "description", "sku", "price", "removed", "version", "updated_at",
		"category", // 0020: added after the others, so it is last
	}}
)
