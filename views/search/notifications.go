package search

import (
	"context"
	"fmt"
	"time"
)

// Notification is a message the notifications context sent about an
// order (mallbots.notifications).
type Notification struct {
	Kind   string
	Text   string
	SentAt time.Time
}

// Notifications lists the messages sent about an order, oldest first. A
// redelivered notification has the same id, so FINAL shows it once.
func (q *Querier) Notifications(ctx context.Context, orderID string) ([]Notification, error) {
	rows, err := q.conn.Query(ctx, `SELECT kind, text, sent_at FROM mallbots.notifications FINAL
WHERE order_id = ? ORDER BY sent_at, kind`, orderID)
	if err != nil {
		return nil, fmt.Errorf("read the notifications of order %s from ClickHouse: %w", orderID, err)
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.Kind, &n.Text, &n.SentAt); err != nil {
			return nil, fmt.Errorf("read the notifications of order %s: %w", orderID, err)
		}
		n.SentAt = n.SentAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}
