-- mallbots.customers: the current state of each customer. ReplacingMergeTree
-- keeps the row with the highest aggregate version per id, so an older or
-- replayed snapshot never overwrites a newer state. Read with FINAL.
-- enabled is 1 from registration until the customer is disabled.
CREATE TABLE IF NOT EXISTS mallbots.customers
(
    id         String,
    name       String,
    sms_number String,
    enabled    UInt8,
    version    UInt64,
    updated_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
