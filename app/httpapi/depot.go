package httpapi

import (
	"net/http"
	"time"

	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/depot"
)

// shoppingListJSON is a shopping list as the API shows it: its stops keyed
// by store id, each stop's items keyed by product id (as in docs/domain.md).
type shoppingListJSON struct {
	ID      string              `json:"id"`
	OrderID string              `json:"orderId"`
	Status  string              `json:"status" oa:"enum=pending|available|assigned|completed|canceled"`
	BotID   string              `json:"botId"`
	Stops   map[string]stopJSON `json:"stops"`
	// AvailableAt is when the list became available to the bots; absent
	// while it is pending.
	AvailableAt *time.Time `json:"availableAt,omitempty"`
	Version     int64      `json:"version"`
}

type stopJSON struct {
	StoreName     string                  `json:"storeName"`
	StoreLocation string                  `json:"storeLocation"`
	Items         map[string]stopItemJSON `json:"items"`
}

type stopItemJSON struct {
	ProductName string `json:"productName"`
	Quantity    int32  `json:"quantity"`
}

type botJSON struct {
	ID             string `json:"id"`
	Status         string `json:"status" oa:"enum=idle|active"`
	ShoppingListID string `json:"shoppingListId"`
	Version        int64  `json:"version"`
}

func shoppingListOut(s *schemas.Snapshot[contract.ShoppingList]) shoppingListJSON {
	l := s.State
	out := shoppingListJSON{ID: s.AggregateID, OrderID: l.OrderID, Status: l.Status, BotID: l.BotID, Stops: map[string]stopJSON{}, Version: s.Version}
	for storeID, stop := range l.Stops {
		items := map[string]stopItemJSON{}
		for productID, it := range stop.Items {
			items[productID] = stopItemJSON{ProductName: it.ProductName, Quantity: it.Quantity}
		}
		out.Stops[storeID] = stopJSON{StoreName: stop.StoreName, StoreLocation: stop.StoreLocation, Items: items}
	}
	if l.Status != depot.StatusPending && !l.AvailableAt.IsZero() {
		at := l.AvailableAt.UTC()
		out.AvailableAt = &at
	}
	return out
}

func botOut(s *schemas.Snapshot[contract.Bot]) botJSON {
	return botJSON{ID: s.AggregateID, Status: s.State.Status, ShoppingListID: s.State.ShoppingListID, Version: s.Version}
}

// depotRoutes: GET /api/depot/shopping/{id} (a shopping list, 404 "the
// shopping list does not exist") and GET /api/depot/bots (every bot that
// has ever been assigned, in id order; a bot without a row is idle).
func (s *server) depotRoutes(mux *routes) {
	mux.HandleFunc("GET /api/depot/shopping/{id}", func(w http.ResponseWriter, r *http.Request) {
		getOne(s, w, r, s.Views.ShoppingLists, r.PathValue("id"), depot.ErrShoppingListNotFound, shoppingListOut)
	})
	mux.HandleFunc("GET /api/depot/bots", func(w http.ResponseWriter, r *http.Request) {
		list(s, w, r, s.Views.Bots, func(contract.Bot) bool { return true }, botOut, func(a, b botJSON) bool {
			// bot-2 before bot-10
			return len(a.ID) < len(b.ID) || len(a.ID) == len(b.ID) && a.ID < b.ID
		})
	})
}
