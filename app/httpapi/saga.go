package httpapi

import (
	"context"
	"net/http"
	"time"

	sagas "github.com/mallbots/mallbots/schemas/saga"
)

// SagaReader reads the create-order saga of an order.
type SagaReader interface {
	Get(ctx context.Context, orderID string) (*sagas.CreateOrderSaga, error)
}

type sagaJSON struct {
	OrderID          string     `json:"orderId"`
	Status           string     `json:"status"`
	Step             string     `json:"step,omitempty"`
	Compensating     bool       `json:"compensating"`
	Done             bool       `json:"done"`
	Reason           string     `json:"reason,omitempty"`
	ShoppingListID   string     `json:"shoppingListId,omitempty"`
	PendingCommandID string     `json:"pendingCommandId,omitempty"`
	Deadline         *time.Time `json:"deadline,omitempty"`
	StartedAt        time.Time  `json:"startedAt"`
	UpdatedAt        time.Time  `json:"updatedAt"`
	Version          int64      `json:"version"`
}

func sagaOut(sg *sagas.CreateOrderSaga) sagaJSON {
	out := sagaJSON{OrderID: sg.OrderID, Status: sg.Status, Step: sg.Step, Compensating: sg.Status == "compensating",
		Done: sg.Status == "approved" || sg.Status == "rejected", Reason: sg.Reason, ShoppingListID: sg.ShoppingListID,
		PendingCommandID: sg.PendingCommandID, StartedAt: sg.StartedAt, UpdatedAt: sg.UpdatedAt, Version: sg.Version}
	if sg.PendingCommandID != "" {
		d := sg.Deadline
		out.Deadline = &d
	}
	return out
}

func (s *server) sagaRoutes(mux *routes) {
	mux.HandleFunc("GET /api/ordering/{id}/saga", func(w http.ResponseWriter, r *http.Request) {
		sg, err := s.Sagas.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			s.internal(w, err)
			return
		}
		if sg == nil {
			notFound(w, sagaNotFound)
			return
		}
		out := sagaOut(sg)
		writeJSON(w, http.StatusOK, out)
	})
}
