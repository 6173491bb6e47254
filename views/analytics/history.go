package analytics

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mallbots/mallbots/schemas"
	notes "github.com/mallbots/mallbots/schemas/notifications"
)

// Event is one event of the log, as the cookbook's Go figures see it.
type Event struct {
	// Type is the Avro full name, e.g. "mallbots.ordering.OrderCreated".
	Type string
	// Aggregate is the aggregate type, e.g. "order".
	Aggregate string
	Event     schemas.Event
}

// Meta is the event's metadata.
func (e Event) Meta() *schemas.EventMeta { return e.Event.EventMetadata() }

// Payload is the event's fields as the events table's payload column holds
// them: JSON with sorted keys.
func (e Event) Payload() (string, error) {
	native, err := schemas.PayloadNative(e.Event)
	if err != nil {
		return "", fmt.Errorf("payload of %s: %w", e.Type, err)
	}
	b, err := json.Marshal(native)
	return string(b), err
}

// History is an event log and the notifications sent, each event and
// notification once: the log may hold an event twice (a redelivered
// command re-emits it with the same aggregate version), ClickHouse
// collapses such copies, and so does Add.
type History struct {
	Events        []Event
	Notifications []*notes.Notification

	seenEvents map[eventKey]bool
	seenNotes  map[string]bool
}

type eventKey struct {
	aggregate, id string
	version       int64
}

// Add appends an event unless the history already has its aggregate
// version.
func (h *History) Add(e Event) {
	if h.seenEvents == nil {
		h.seenEvents = map[eventKey]bool{}
	}
	m := e.Meta()
	k := eventKey{e.Aggregate, m.AggregateID, m.AggregateVersion}
	if h.seenEvents[k] {
		return
	}
	h.seenEvents[k] = true
	h.Events = append(h.Events, e)
}

// AddNotification appends a notification unless the history already has
// its id.
func (h *History) AddNotification(n *notes.Notification) {
	if h.seenNotes == nil {
		h.seenNotes = map[string]bool{}
	}
	if h.seenNotes[n.NotificationID] {
		return
	}
	h.seenNotes[n.NotificationID] = true
	h.Notifications = append(h.Notifications, n)
}

// Until returns the events that occurred up to instant's second: the
// cookbook's "at an instant" (occurred_at_ms <= toUInt64(instant) * 1000).
func (h *History) Until(instant time.Time) []Event {
	limit := instant.Unix() * 1000
	var out []Event
	for _, e := range h.Events {
		if e.Meta().OccurredAt.UnixMilli() <= limit {
			out = append(out, e)
		}
	}
	return out
}
