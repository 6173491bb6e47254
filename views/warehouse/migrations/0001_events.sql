-- mallbots.events: one row per event ever appended to an event topic, the
-- analysts' log of record. A redelivered or replayed event has the same
-- (aggregate_type, aggregate_id, aggregate_version) and collapses into one
-- row when parts merge or when read with FINAL. Duplicates are identical,
-- so no version column is needed: any copy is the right one.
-- DateTime('UTC') pins the column's time zone (toYYYYMM and text output),
-- whatever the server's time zone; occurred_at_ms keeps the exact instant.
-- `partition` and `offset` are quoted only for safety: 18.16 and current
-- releases (checked: 26.7) also accept them bare, in DDL and in SELECT.
CREATE TABLE IF NOT EXISTS mallbots.events
(
    event_id          String,
    event_type        String,
    schema_version    UInt32,
    aggregate_type    String,
    aggregate_id      String,
    aggregate_version UInt64,
    occurred_at       DateTime('UTC'),
    occurred_at_ms    UInt64,
    command_id        String,
    correlation_id    String,
    causation_id      String,
    payload           String,
    topic             String,
    `partition`       UInt32,
    `offset`          UInt64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (aggregate_type, aggregate_id, aggregate_version);
