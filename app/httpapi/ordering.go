package httpapi

import (
	"net/http"

	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/ordering"
)

type orderJSON struct {
	ID              string     `json:"id"`
	CustomerID      string     `json:"customerId"`
	PaymentID       string     `json:"paymentId"`
	ShoppingListID  string     `json:"shoppingListId"`
	InvoiceID       string     `json:"invoiceId"`
	Items           []lineJSON `json:"items"`
	Total           Money      `json:"total"`
	Status          string     `json:"status" oa:"enum=pending|approved|ready|completed|rejected|canceled"`
	RejectionReason string     `json:"rejectionReason,omitempty"`
	Version         int64      `json:"version"`
}

func orderOut(s *schemas.Snapshot[contract.Order]) orderJSON {
	o := s.State
	items := make([]lineJSON, len(o.Items))
	for i, it := range o.Items {
		items[i] = lineJSON{ProductID: it.ProductID, StoreID: it.StoreID, StoreName: it.StoreName, ProductName: it.ProductName, Price: Money(it.PriceCents), Quantity: it.Quantity}
	}
	out := orderJSON{ID: s.AggregateID, CustomerID: o.CustomerID, PaymentID: o.PaymentID, ShoppingListID: o.ShoppingListID,
		InvoiceID: o.InvoiceID, Items: items, Total: Money(o.TotalCents), Status: o.Status, Version: s.Version}
	if o.Status == ordering.StatusRejected {
		out.RejectionReason = o.RejectionReason
	}
	return out
}

func (s *server) orderRoutes(mux *routes) {
	mux.HandleFunc("GET /api/ordering/{id}", func(w http.ResponseWriter, r *http.Request) {
		getOne(s, w, r, s.Views.Orders, r.PathValue("id"), ordering.ErrOrderNotFound, orderOut)
	})
	mux.HandleFunc("DELETE /api/ordering/{id}", bodiless[contract.CancelOrder](s, awaitOn(s.Views.Orders)))
}
