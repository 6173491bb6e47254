package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/mallbots/mallbots/views/search"
)

// NotificationReader lists the notifications sent for an order
// (search.Querier reads them from the warehouse).
type NotificationReader interface {
	Notifications(ctx context.Context, orderID string) ([]search.Notification, error)
}

// notificationJSON is a message sent to the order's customer.
type notificationJSON struct {
	Kind   string    `json:"kind"`
	Text   string    `json:"text"`
	SentAt time.Time `json:"sentAt"`
}

// liveOrderJSON is one event of GET /api/ordering/{id}/live: the order as
// GET /api/ordering/{id} answers it, its saga, its shopping list (the bot's
// stops) and the notifications sent; null (empty) for what does not exist
// yet.
type liveOrderJSON struct {
	Order         *orderJSON         `json:"order"`
	Saga          *sagaJSON          `json:"saga"`
	ShoppingList  *shoppingListJSON  `json:"shoppingList"`
	Notifications []notificationJSON `json:"notifications"`
}

// liveTick is how often a live order is read again: from the in-process
// views, so a read costs a local lookup; notifications come from ClickHouse
// at most once a second.
const liveTick = 250 * time.Millisecond

func (s *server) liveRoutes(mux *routes) {
	mux.HandleFunc("GET /api/ordering/{id}/live", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var (
			notes     = []notificationJSON{}
			notesRead time.Time
		)
		s.stream(w, r, "order", liveTick, func(ctx context.Context) (any, error) {
			var out liveOrderJSON
			o, err := s.Views.Orders.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if o != nil {
				v := orderOut(o)
				out.Order = &v
				if o.State.ShoppingListID != "" {
					sl, err := s.Views.ShoppingLists.Get(ctx, o.State.ShoppingListID)
					if err != nil {
						return nil, err
					}
					if sl != nil {
						v := shoppingListOut(sl)
						out.ShoppingList = &v
					}
				}
			}
			sg, err := s.Sagas.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if sg != nil {
				v := sagaOut(sg)
				out.Saga = &v
			}
			if s.Notifications != nil && o != nil && time.Since(notesRead) >= time.Second {
				n, err := s.Notifications.Notifications(ctx, id)
				if err != nil {
					return nil, err
				}
				notes, notesRead = notes[:0:0], time.Now()
				for _, m := range n {
					notes = append(notes, notificationJSON{Kind: m.Kind, Text: m.Text, SentAt: m.SentAt})
				}
			}
			out.Notifications = notes
			return out, nil
		})
	})
}
