-- mallbots.payments: the current state of each payment authorization.
-- amount is the amount authorized; confirmed = 1 once the create-order
-- saga confirmed it for order_id (empty until then). ReplacingMergeTree
-- keyed by the aggregate version; read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.payments
(
    id          String,
    customer_id String,
    amount      Decimal(18, 2),
    confirmed   UInt8,
    order_id    String,
    version     UInt64,
    updated_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
