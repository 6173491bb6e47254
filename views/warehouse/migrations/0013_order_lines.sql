-- mallbots.order_lines: one row per line of every order ever created, as
-- OrderCreated recorded it (store and product names and the unit price as
-- they were when the basket was checked out). Filled by the analytics
-- projection from the ordering event log. line is the line's position in
-- OrderCreated's items, so a redelivered event lands on the same
-- (order_id, line) and collapses under FINAL; duplicates are identical, so
-- no version column is needed. amount = price × quantity. Join
-- mallbots.order_milestones on order_id for what became of the order.
CREATE TABLE IF NOT EXISTS mallbots.order_lines
(
    order_id     String,
    line         UInt32,
    customer_id  String,
    store_id     String,
    store_name   String,
    product_id   String,
    product_name String,
    price        Decimal(18, 2),
    quantity     UInt32,
    amount       Decimal(18, 2),
    ordered_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
ORDER BY (order_id, line);
