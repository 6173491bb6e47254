-- mallbots.events gains each event's place in its aggregate's hash chain
-- (docs/adr/0021): prev_hash, the hash of the aggregate's previous event,
-- and hash, this event's. Both are lowercase hex SHA-256 (or HMAC-SHA-256);
-- events written before the chain, and every row written before 0021, hold
-- ''. The events projection refuses a record whose key is held with other
-- content, so the first row of an event stays the row (views/projections).
-- 18.16 has no ADD COLUMN IF NOT EXISTS: Migrate takes "already exists" for
-- done (addcolumn.go).
ALTER TABLE mallbots.events ADD COLUMN prev_hash String DEFAULT '';
ALTER TABLE mallbots.events ADD COLUMN hash String DEFAULT '';
