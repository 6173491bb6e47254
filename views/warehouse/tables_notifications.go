package warehouse

// NotificationsTable holds every notification sent.
var NotificationsTable = Table{Name: "notifications", Columns: []string{
	"notification_id", "order_id", "customer_id", "sms_number", "kind", "text", "sent_at",
}}
