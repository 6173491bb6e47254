package projections

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// Notifications projects the default sender's record of every
// notification into mallbots.notifications.
func Notifications(sd *serde.Serde) warehouse.Projection {
	return warehouse.Projection{
		Name:   "notifications",
		Group:  topics.ProjectorNotifications,
		Topics: []string{topics.NotificationsSent.Name},
		Tables: []warehouse.Table{warehouse.NotificationsTable},
		Map: func(rec *kgo.Record) ([]warehouse.Row, error) {
			pos := serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
			v, err := sd.Decode(context.Background(), pos, rec.Value)
			if err != nil {
				return nil, err
			}
			n, ok := v.(*notes.Notification)
			if !ok {
				return nil, fmt.Errorf("%s: %T is not a notification", pos, v)
			}
			return []warehouse.Row{{Table: warehouse.NotificationsTable.Name, Values: []any{
				n.NotificationID, n.OrderID, n.CustomerID, n.SMSNumber, n.Kind, n.Text, Seconds(n.SentAt)}}}, nil
		},
	}
}
