-- mallbots.basket_activity: one row per event of every basket, from the
-- baskets event log: step is started, item_added, item_removed,
-- checked_out or canceled; customer_id is set on started and checked_out;
-- product_id and quantity on item_added and item_removed (quantity is what
-- was actually removed, never more than the basket held); at and at_ms
-- when it happened, version the basket's aggregate version. An order's id
-- is its basket's id, so order_milestones joins on basket_id = order_id.
-- Keyed by (basket_id, version): a redelivered event collapses under FINAL.
CREATE TABLE IF NOT EXISTS mallbots.basket_activity
(
    basket_id   String,
    step        String,
    customer_id String,
    product_id  String,
    quantity    UInt32,
    at          DateTime('UTC'),
    at_ms       UInt64,
    version     UInt64
)
ENGINE = ReplacingMergeTree()
ORDER BY (basket_id, version);
