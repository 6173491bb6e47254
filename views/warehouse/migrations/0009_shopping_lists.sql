-- mallbots.shopping_lists: the current state of each shopping list. status
-- is pending, available, assigned, completed or canceled; bot_id is empty
-- until a bot is assigned (and stays set once it was). stop_count is the
-- number of stores to visit, item_count the number of distinct products to
-- pick (one per store and product: repeated order lines are merged).
-- available_at is when the list became available to the bots (bots take the
-- oldest first), 1970-01-01 00:00:00 while it is pending or if it never
-- became available. ReplacingMergeTree keeps the row with the highest
-- aggregate version per id, so a replayed snapshot never overwrites a newer
-- state. Read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.shopping_lists
(
    id           String,
    order_id     String,
    bot_id       String,
    status       String,
    stop_count   UInt32,
    item_count   UInt32,
    available_at DateTime('UTC'),
    version      UInt64,
    updated_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
