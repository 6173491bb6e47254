-- mallbots.invoices: the current state of each invoice. An invoice's id is
-- its order's id (order_id repeats it for joins). status is 'pending',
-- 'paid' or 'canceled'. ReplacingMergeTree keyed by the aggregate version;
-- read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.invoices
(
    id         String,
    order_id   String,
    payment_id String,
    amount     Decimal(18, 2),
    status     String,
    version    UInt64,
    updated_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
