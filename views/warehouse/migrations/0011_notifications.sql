-- mallbots.notifications: every message sent to a customer by the default
-- sender, one row per (order, kind). The id is derived from the order and
-- the kind, so a redelivered notification collapses under FINAL.
CREATE TABLE IF NOT EXISTS mallbots.notifications
(
    notification_id String,
    order_id        String,
    customer_id     String,
    sms_number      String,
    kind            String,
    text            String,
    sent_at         DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
ORDER BY notification_id;
