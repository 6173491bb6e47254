package httpapi

import (
	"net/http"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/baskets"
)

type basketJSON struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customerId"`
	PaymentID  string     `json:"paymentId"`
	Items      []lineJSON `json:"items"`
	Total      Money      `json:"total"`
	Status     string     `json:"status" oa:"enum=open|canceled|checked_out"`
	Version    int64      `json:"version"`
}

// lineJSON is one line of a basket or an order: names and price as
// captured when the product was first added to the basket.
type lineJSON struct {
	ProductID   string `json:"productId"`
	StoreID     string `json:"storeId"`
	StoreName   string `json:"storeName"`
	ProductName string `json:"productName"`
	Price       Money  `json:"price"`
	Quantity    int32  `json:"quantity"`
}

// startBasketBody is the body of POST /api/baskets.
type startBasketBody struct {
	ID         string `json:"id" oa:"format=uuid"`
	CustomerID string `json:"customerId" oa:"required"`
}

// itemBody is the body of addItem and removeItem.
type itemBody struct {
	ProductID string `json:"productId" oa:"required"`
	Quantity  *int32 `json:"quantity" oa:"required"`
}

// checkoutBody is the body of PUT /api/baskets/{id}/checkout.
type checkoutBody struct {
	PaymentID string `json:"paymentId" oa:"required"`
}

func basketOut(s *schemas.Snapshot[contract.Basket]) basketJSON {
	lines := baskets.Lines(&s.State)
	items := make([]lineJSON, len(lines))
	for i, it := range lines {
		items[i] = lineJSON{ProductID: it.ProductID, StoreID: it.StoreID, StoreName: it.StoreName, ProductName: it.ProductName, Price: Money(it.PriceCents), Quantity: it.Quantity}
	}
	b := s.State
	return basketJSON{ID: s.AggregateID, CustomerID: b.CustomerID, PaymentID: b.PaymentID, Items: items, Total: Money(baskets.Total(lines)), Status: b.Status, Version: s.Version}
}

func (s *server) basketRoutes(mux *routes) {
	mux.HandleFunc("POST /api/baskets", s.startBasket)
	mux.HandleFunc("GET /api/baskets/{id}", func(w http.ResponseWriter, r *http.Request) {
		getOne(s, w, r, s.Views.Baskets, r.PathValue("id"), baskets.ErrBasketNotFound, basketOut)
	})
	mux.HandleFunc("PUT /api/baskets/{id}/addItem", s.basketCommand(func(w http.ResponseWriter, r *http.Request) (contract.BasketCommand, bool) {
		product, quantity, ok := readItem(w, r)
		return &contract.AddItem{ProductID: product, Quantity: quantity}, ok
	}))
	mux.HandleFunc("PUT /api/baskets/{id}/removeItem", s.basketCommand(func(w http.ResponseWriter, r *http.Request) (contract.BasketCommand, bool) {
		product, quantity, ok := readItem(w, r)
		return &contract.RemoveItem{ProductID: product, Quantity: quantity}, ok
	}))
	mux.HandleFunc("PUT /api/baskets/{id}/checkout", s.basketCommand(func(w http.ResponseWriter, r *http.Request) (contract.BasketCommand, bool) {
		var in checkoutBody
		ok := readJSON(w, r, &in)
		return &contract.CheckoutBasket{PaymentID: in.PaymentID}, ok
	}))
	mux.HandleFunc("DELETE /api/baskets/{id}", bodiless[contract.CancelBasket](s, awaitOn(s.Views.Baskets)))
}

// readItem reads {"productId": …, "quantity": n}; both are required.
func readItem(w http.ResponseWriter, r *http.Request) (string, int32, bool) {
	var in itemBody
	if !readJSON(w, r, &in) {
		return "", 0, false
	}
	switch {
	case in.ProductID == "":
		writeError(w, http.StatusBadRequest, "bad_request", `productId is required, e.g. {"productId": "…", "quantity": 1}`)
		return "", 0, false
	case in.Quantity == nil:
		writeError(w, http.StatusBadRequest, "bad_request", `quantity is required, e.g. {"productId": "…", "quantity": 1}`)
		return "", 0, false
	}
	return in.ProductID, *in.Quantity, true
}

func (s *server) startBasket(w http.ResponseWriter, r *http.Request) {
	var in startBasketBody
	if !readJSON(w, r, &in) || !s.mayActFor(w, r, in.CustomerID) {
		return
	}
	id, ok := createID(w, r, in.ID)
	if !ok {
		return
	}
	cmd := &contract.StartBasket{CustomerID: in.CustomerID}
	cmd.AggregateID = id
	s.send(w, r, cmd, true, awaitOn(s.Views.Baskets))
}

// basketCommand builds a write route for an existing basket (existing).
func (s *server) basketCommand(build func(w http.ResponseWriter, r *http.Request) (contract.BasketCommand, bool)) http.HandlerFunc {
	return existing(s, awaitOn(s.Views.Baskets), build)
}
