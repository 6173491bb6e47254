// Package notifications tells customers how their orders are going: on
// OrderCreated, OrderReadied, OrderCanceled, OrderRejected (with the reason)
// and OrderCompleted it sends a message to the customer's current SMS
// number, at most once per (order, kind).
//
// notify.go is the pure rule; processor.go is a goka group keyed by order
// id (co-partitioned with the order events) whose table remembers the kinds
// already sent, and which reads the customer's number through goka Lookup
// on the customers table. Messages go through a Sender; the default one
// records them on mallbots.notifications.sent, projected to ClickHouse.
package notifications

import (
	"fmt"
	"slices"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/ordering"
)

// Kinds of notification.
const (
	OrderReceived  = "order_received"
	OrderReady     = "order_ready"
	OrderCanceled  = "order_canceled"
	OrderRejected  = "order_rejected"
	OrderCompleted = "order_completed"
)

// Decision is what one order event calls for.
type Decision struct {
	// Next is the state to store (nil: unchanged).
	Next *notes.NotificationState
	// Send is the message to send (nil: none).
	Send *notes.Notification
	// Skipped says why nothing is sent (already sent, unknown customer).
	Skipped string
}

// Decide turns an order event into at most one notification. customer is
// the customer's current state (nil when unknown).
func Decide(state *notes.NotificationState, ev schemas.Event, customer *customers.Customer, now time.Time) Decision {
	m := ev.EventMetadata()
	st := notes.NotificationState{OrderID: m.AggregateID}
	if state != nil {
		st = *state
		st.Sent = slices.Clone(state.Sent)
	}
	if c, ok := ev.(*ordering.OrderCreated); ok {
		st.CustomerID = c.CustomerID
	}
	kind, text := message(ev)
	switch {
	case kind == "":
		return Decision{Skipped: "no notification for this event"}
	case slices.Contains(st.Sent, kind):
		return Decision{Skipped: "already sent"}
	case st.CustomerID == "":
		return Decision{Skipped: "the order's customer is not known yet"}
	case customer == nil:
		return Decision{Skipped: "the customer does not exist"}
	}
	st.Sent = append(st.Sent, kind)
	return Decision{Next: &st, Send: &notes.Notification{
		NotificationID: schemas.DerivedID(st.OrderID + "/notification/" + kind),
		OrderID:        st.OrderID, CustomerID: st.CustomerID, SMSNumber: customer.SMSNumber,
		Kind: kind, Text: text, SentAt: now.UTC(),
	}}
}

func message(ev schemas.Event) (kind, text string) {
	id := ev.EventMetadata().AggregateID
	switch e := ev.(type) {
	case *ordering.OrderCreated:
		return OrderReceived, fmt.Sprintf("MallBots: we received your order %s. Our bots will collect it shortly.", short(id))
	case *ordering.OrderReadied:
		return OrderReady, fmt.Sprintf("MallBots: your order %s is ready for pickup at the depot.", short(id))
	case *ordering.OrderCanceled:
		return OrderCanceled, fmt.Sprintf("MallBots: your order %s was canceled.", short(id))
	case *ordering.OrderRejected:
		return OrderRejected, fmt.Sprintf("MallBots: your order %s was rejected: %s.", short(id), e.Reason)
	case *ordering.OrderCompleted:
		return OrderCompleted, fmt.Sprintf("MallBots: thank you, your order %s is complete.", short(id))
	}
	return "", ""
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
