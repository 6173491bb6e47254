// Package notifications is the published contract of the notifications context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.notifications).
package notifications

import (
	"embed"
	"time"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// Notification is a record of the notifications contract.
type Notification struct {
	NotificationID string    `avro:"notificationId"`
	OrderID        string    `avro:"orderId"`
	CustomerID     string    `avro:"customerId"`
	SMSNumber      string    `avro:"smsNumber"`
	Kind           string    `avro:"kind"`
	Text           string    `avro:"text"`
	SentAt         time.Time `avro:"sentAt"`
}

// NotificationState is a record of the notifications contract.
type NotificationState struct {
	OrderID    string   `avro:"orderId"`
	CustomerID string   `avro:"customerId"`
	Sent       []string `avro:"sent"`
}

// Types returns the record types of the notifications context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.notifications", schemas.Records(
		new(Notification), new(NotificationState),
	), nil)
}
