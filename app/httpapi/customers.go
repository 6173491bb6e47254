package httpapi

import (
	"net/http"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/customers"
)

type customerJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	SMSNumber string `json:"smsNumber"`
	Enabled   bool   `json:"enabled"`
	Version   int64  `json:"version"`
}

// registerCustomerBody is the body of POST /api/customers.
type registerCustomerBody struct {
	ID        string `json:"id" oa:"format=uuid"`
	Name      string `json:"name" oa:"required"`
	SMSNumber string `json:"smsNumber" oa:"required"`
}

// changeSMSBody is the body of PUT /api/customers/{id}/change-sms.
type changeSMSBody struct {
	SMSNumber string `json:"smsNumber" oa:"required"`
}

func customerOut(s *schemas.Snapshot[contract.Customer]) customerJSON {
	c := s.State
	return customerJSON{ID: s.AggregateID, Name: c.Name, SMSNumber: c.SMSNumber, Enabled: c.Enabled, Version: s.Version}
}

func (s *server) customerRoutes(mux *routes) {
	mux.HandleFunc("POST /api/customers", s.registerCustomer)
	mux.HandleFunc("GET /api/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		getOne(s, w, r, s.Views.Customers, r.PathValue("id"), customers.ErrCustomerNotFound, customerOut)
	})
	mux.HandleFunc("PUT /api/customers/{id}/enable", bodiless[contract.EnableCustomer](s, awaitOn(s.Views.Customers)))
	mux.HandleFunc("PUT /api/customers/{id}/disable", bodiless[contract.DisableCustomer](s, awaitOn(s.Views.Customers)))
	mux.HandleFunc("PUT /api/customers/{id}/change-sms", s.customerCommand(func(w http.ResponseWriter, r *http.Request) (contract.CustomerCommand, bool) {
		var in changeSMSBody
		ok := readJSON(w, r, &in)
		return &contract.ChangeSmsNumber{SMSNumber: in.SMSNumber}, ok
	}))
}

func (s *server) registerCustomer(w http.ResponseWriter, r *http.Request) {
	var in registerCustomerBody
	if !readJSON(w, r, &in) {
		return
	}
	id, ok := createID(w, r, in.ID)
	if !ok {
		return
	}
	cmd := &contract.RegisterCustomer{Name: in.Name, SMSNumber: in.SMSNumber}
	cmd.AggregateID = id
	s.sendThen(w, r, cmd, true, awaitOn(s.Views.Customers), s.signIn(r))
}

// signIn gives a kiosk the token of the customer it registered, so the
// customer can shop at once (docs/domain.md, Who may do what): only with
// the embedded issuer, and only for a kiosk.
func (s *server) signIn(r *http.Request) func(*written) {
	p, _ := principalOf(r.Context())
	if p.Role != auth.Kiosk || s.Tokens == nil {
		return nil
	}
	return func(out *written) {
		tok, err := s.Tokens.Issue(auth.Principal{Role: auth.Customer, CustomerID: out.ID}, s.CustomerTokenTTL)
		if err != nil {
			s.Log.Error("signing a new customer's token failed; the customer is registered", "customer", out.ID, "err", err)
			return
		}
		out.Token = tok
	}
}

// customerCommand builds a write route for an existing customer (existing).
func (s *server) customerCommand(build func(w http.ResponseWriter, r *http.Request) (contract.CustomerCommand, bool)) http.HandlerFunc {
	return existing(s, awaitOn(s.Views.Customers), build)
}
