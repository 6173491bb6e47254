-- mallbots.orders: the current state of each order (its id is the id of
-- the basket it was checked out from). status is pending, approved, ready,
-- completed, rejected or canceled; shopping_list_id is set on approval,
-- invoice_id on completion, rejection_reason (the create-order saga's
-- reason) on rejection, each empty otherwise. item_count is the number of
-- units ordered (the sum of the lines' quantities). ReplacingMergeTree
-- keeps the row with the highest aggregate version per id. Read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.orders
(
    id               String,
    customer_id      String,
    payment_id       String,
    shopping_list_id String,
    invoice_id       String,
    total            Decimal(18, 2),
    status           String,
    rejection_reason String,
    item_count       UInt64,
    version          UInt64,
    updated_at       DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
