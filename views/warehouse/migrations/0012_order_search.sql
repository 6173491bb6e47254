-- mallbots.order_search: the order search read model, one row per order
-- version projected from the orders state table; ReplacingMergeTree keeps
-- the highest version per order_id, so readers use FINAL (or argMax by
-- version) and see exactly one current row per order whatever the
-- redeliveries. See docs/adr/0009-order-search.md.
--
-- What never changes after an order is created: customer_id, the items
-- (and so store_ids, product_ids), total and created_at. Readers may filter
-- those in PREWHERE, which ClickHouse applies before FINAL collapses the
-- versions (18.16 and current releases alike): every version of an order
-- passes or fails together. status, updated_at and version change, so a
-- filter on them belongs in WHERE, after FINAL.
--
-- store_ids and product_ids are the distinct ids of the items (sorted).
-- customer_key, store_keys and product_keys are the same ids hashed to
-- UInt64 (64-bit FNV-1a of the id's bytes, warehouse.SearchKey): filters
-- scan eight bytes per id instead of 36 characters (measured in the ADR:
-- hasAny over a million orders' store ids took ~0.4 s as strings), and the
-- search checks the rows it returns against the ids themselves, since two
-- ids may share a key. The item_* arrays are parallel, one element per order
-- line, in the order's line order (plain arrays rather than Nested: the
-- same column names on 18.16 and current releases, and plain identifiers
-- for column-listed inserts).
--
-- created_at_ms and updated_at_ms are the exact instants (Unix
-- milliseconds) next to their DateTime columns; newest first is
-- created_at_ms DESC, order_id DESC. created_at_ms is 0 when the creation
-- time is unknown (an order snapshot from before OrderSnapshot v2 whose
-- window no longer held the creating command); such orders sort last.
--
-- Keyed by order_id alone: the key must be the identity that versions
-- collapse on, and it serves search by id. index_granularity 512 (not the
-- default 8192) because a page is fetched by up to 101 ids, each reading
-- one granule of wide array columns: 512-row granules cut that read 16-fold
-- (measured in the ADR), and a million orders still need only ~2,000 index
-- marks.
CREATE TABLE IF NOT EXISTS mallbots.order_search
(
    order_id           String,
    customer_id        String,
    customer_key       UInt64,
    store_ids          Array(String),
    store_keys         Array(UInt64),
    product_ids        Array(String),
    product_keys       Array(UInt64),
    item_product_ids   Array(String),
    item_product_names Array(String),
    item_store_ids     Array(String),
    item_store_names   Array(String),
    item_prices        Array(Decimal(18, 2)),
    item_quantities    Array(UInt32),
    total              Decimal(18, 2),
    status             String,
    created_at         DateTime('UTC'),
    created_at_ms      UInt64,
    updated_at         DateTime('UTC'),
    updated_at_ms      UInt64,
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY order_id
SETTINGS index_granularity = 512;
