-- mallbots.stores: the current state of each store. ReplacingMergeTree keeps
-- the row with the highest aggregate version per id, so an older or
-- replayed event never overwrites a newer state. Read with FINAL.
CREATE TABLE IF NOT EXISTS mallbots.stores
(
    id            String,
    name          String,
    location      String,
    participating UInt8,
    version       UInt64,
    updated_at    DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
