-- mallbots.products: the current state of each product in the catalogue.
-- Removed products stay, with removed = 1, so history-minded queries can
-- still join them. Decimal(18, 2) needs no setting: it is a regular type
-- on 18.16 and later, and the old allow_experimental_decimal_type is an
-- unknown setting (an error) on both 18.16.1 and current releases (checked:
-- 26.7), so it must never be set.
CREATE TABLE IF NOT EXISTS mallbots.products
(
    id          String,
    store_id    String,
    name        String,
    description String,
    sku         String,
    price       Decimal(18, 2),
    removed     UInt8,
    version     UInt64,
    updated_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
