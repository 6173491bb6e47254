-- mallbots.products gains the product's category (ProductAdded v2, ProductSnapshot
-- v2). Products added without one, and every row written before v2, hold ''.
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS (a syntax error there,
-- checked on 18.16.1), so the statement is plain and Migrate makes it
-- idempotent: an ADD COLUMN refused because the column is already there is
-- done (see addcolumn.go).
ALTER TABLE mallbots.products ADD COLUMN category String DEFAULT '';
