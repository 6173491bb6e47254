package httpapi

import (
	"net/http"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/payments"
)

type paymentJSON struct {
	ID         string `json:"id"`
	CustomerID string `json:"customerId"`
	Amount     Money  `json:"amount"`
	Confirmed  bool   `json:"confirmed"`
	OrderID    string `json:"orderId"`
	Version    int64  `json:"version"`
}

type invoiceJSON struct {
	ID        string `json:"id"`
	OrderID   string `json:"orderId"`
	PaymentID string `json:"paymentId"`
	Amount    Money  `json:"amount"`
	Status    string `json:"status" oa:"enum=pending|paid|canceled"`
	Version   int64  `json:"version"`
}

// authorizePaymentBody is the body of POST /api/payments.
type authorizePaymentBody struct {
	ID         string `json:"id" oa:"format=uuid"`
	CustomerID string `json:"customerId" oa:"required"`
	Amount     *Money `json:"amount" oa:"required"`
}

func paymentOut(s *schemas.Snapshot[contract.Payment]) paymentJSON {
	p := s.State
	return paymentJSON{ID: s.AggregateID, CustomerID: p.CustomerID, Amount: Money(p.AmountCents), Confirmed: p.Confirmed, OrderID: p.OrderID, Version: s.Version}
}

func invoiceOut(s *schemas.Snapshot[contract.Invoice]) invoiceJSON {
	i := s.State
	return invoiceJSON{ID: s.AggregateID, OrderID: i.OrderID, PaymentID: i.PaymentID, Amount: Money(i.AmountCents), Status: i.Status, Version: s.Version}
}

// paymentNotFound is the answer to a GET of an unknown payment. The
// domain's only text for an unknown payment ("payment cannot be confirmed")
// speaks of the saga's ConfirmPayment; a read says what is missing.
var paymentNotFound = aggregate.Reject(aggregate.NotFound, payments.ErrPaymentNotFound.Code, "the payment does not exist")

func (s *server) paymentRoutes(mux *routes) {
	mux.HandleFunc("POST /api/payments", s.authorizePayment)
	mux.HandleFunc("GET /api/payments/{id}", func(w http.ResponseWriter, r *http.Request) {
		getOne(s, w, r, s.Views.Payments, r.PathValue("id"), paymentNotFound, paymentOut)
	})
	mux.HandleFunc("GET /api/payments/invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
		getOne(s, w, r, s.Views.Invoices, r.PathValue("id"), payments.ErrInvoiceNotFound, invoiceOut)
	})
	mux.HandleFunc("PUT /api/payments/invoices/{id}/pay", bodiless[contract.PayInvoice](s, awaitOn(s.Views.Invoices)))
}

func (s *server) authorizePayment(w http.ResponseWriter, r *http.Request) {
	var in authorizePaymentBody
	if !readJSON(w, r, &in) || !s.mayActFor(w, r, in.CustomerID) {
		return
	}
	if in.Amount == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "amount is required, e.g. {\"customerId\": \"…\", \"amount\": 99.90}")
		return
	}
	id, ok := createID(w, r, in.ID)
	if !ok {
		return
	}
	cmd := &contract.AuthorizePayment{CustomerID: in.CustomerID, AmountCents: int64(*in.Amount)}
	cmd.AggregateID = id
	s.send(w, r, cmd, true, awaitOn(s.Views.Payments))
}
