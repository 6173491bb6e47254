-- mallbots.order_milestones: one row per step of every order's life, from
-- the ordering event log: milestone is created, approved, ready,
-- completed, rejected or canceled (one row each at most per order), at and
-- at_ms when it happened (at_ms in milliseconds since the epoch, for
-- durations), version the order's aggregate version at that step. reason
-- is the create-order saga's rejection reason (rejected only, else empty);
-- total is the order's total on created and ready (else 0). Keyed by
-- (order_id, version): a redelivered event collapses under FINAL.
CREATE TABLE IF NOT EXISTS mallbots.order_milestones
(
    order_id  String,
    milestone String,
    reason    String,
    total     Decimal(18, 2),
    at        DateTime('UTC'),
    at_ms     UInt64,
    version   UInt64
)
ENGINE = ReplacingMergeTree()
ORDER BY (order_id, version);
