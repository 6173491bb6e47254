-- mallbots.bots: the current state of each depot bot that has ever been
-- assigned a shopping list (a bot never assigned has no row and is idle).
-- status is idle or active; shopping_list_id is the list an active bot is
-- on, empty when idle. ReplacingMergeTree keeps the row with the highest
-- aggregate version per id. Read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.bots
(
    id               String,
    status           String,
    shopping_list_id String,
    version          UInt64,
    updated_at       DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
