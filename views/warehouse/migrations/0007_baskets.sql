-- mallbots.baskets: the current state of each basket. status is open,
-- canceled or checked_out; payment_id is empty until checkout. item_count
-- is the number of units in the basket (the sum of its lines' quantities)
-- and total their value (price captured when each product was first added
-- × quantity). ReplacingMergeTree keeps the row with the highest aggregate
-- version per id, so a replayed snapshot never overwrites a newer state.
-- Read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.baskets
(
    id          String,
    customer_id String,
    payment_id  String,
    status      String,
    item_count  UInt64,
    total       Decimal(18, 2),
    version     UInt64,
    updated_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
