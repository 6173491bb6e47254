package httpapi

import (
	"context"
	"net/http"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/schemas"
	basketstate "github.com/mallbots/mallbots/schemas/baskets"
	orderstate "github.com/mallbots/mallbots/schemas/ordering"
	paymentstate "github.com/mallbots/mallbots/schemas/payments"
)

// routes registers the API's routes, each behind its access rule.
type routes struct {
	mux        *http.ServeMux
	s          *server
	registered []string
}

// HandleFunc registers a route behind the rule of the same pattern.
func (m *routes) HandleFunc(pattern string, h http.HandlerFunc) {
	m.mux.Handle(pattern, m.guard(pattern, h))
}

// dispatch registers a pattern that only hands the request to one of the
// guarded routes (stores.go: two routes net/http cannot tell apart).
func (m *routes) dispatch(pattern string, h http.HandlerFunc) { m.mux.HandleFunc(pattern, h) }

// guard puts h behind route's rule: the role's access, then, for "own",
// the resource's owner. A route without a rule answers 403 to everyone.
func (m *routes) guard(route string, h http.HandlerFunc) http.HandlerFunc {
	m.registered = append(m.registered, route)
	s := m.s
	rule, ok := ruleFor(route)
	if !ok {
		s.Log.Error("a route has no access rule: it answers 403 to everyone (add it to httpapi's rules)", "route", route)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := principalOf(r.Context())
		if !ok {
			forbidden(w, p, route)
			return
		}
		switch rule.Access(p.Role) {
		case Allowed:
		case Own, OwnStores:
			if !s.owns(w, r, rule, p) {
				return
			}
		default:
			forbidden(w, p, route)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ruleKey{}, rule)))
	}
}

type ruleKey struct{}

func forbidden(w http.ResponseWriter, p auth.Principal, route string) {
	writeError(w, http.StatusForbidden, "forbidden", "the role "+string(p.Role)+" may not "+route+" (docs/domain.md, Who may do what)")
}

// notFound answers as the route would for an unknown resource.
func notFound(w http.ResponseWriter, rej *aggregate.Rejection) {
	writeError(w, http.StatusNotFound, rej.Code, rej.Message)
}

// owns checks that p owns the resource the request names; otherwise it
// answers (404 for a customer, as for an unknown resource; 403 for a
// store manager) and returns false.
func (s *server) owns(w http.ResponseWriter, r *http.Request, rule Rule, p auth.Principal) bool {
	ctx, id := r.Context(), r.PathValue("id")
	customerOwns := func(customerID string, found bool, err error, rej *aggregate.Rejection) bool {
		if err != nil {
			s.internal(w, err)
			return false
		}
		if !found || customerID != p.CustomerID {
			notFound(w, rej)
			return false
		}
		return true
	}
	switch rule.owner {
	case customerInBody:
		return true // the handler reads the body and asks mayActFor
	case customerInPath:
		return customerOwns(id, true, nil, customers.ErrCustomerNotFound)
	case basketInPath:
		b, err := s.Views.Baskets.Get(ctx, id)
		return customerOwns(ownerOf(b, func(v *basketstate.Basket) string { return v.CustomerID }), b != nil, err, baskets.ErrBasketNotFound)
	case orderInPath, sagaInPath:
		o, err := s.Views.Orders.Get(ctx, id)
		rej := ordering.ErrOrderNotFound
		if rule.owner == sagaInPath {
			rej = sagaNotFound
		}
		return customerOwns(ownerOf(o, func(v *orderstate.Order) string { return v.CustomerID }), o != nil, err, rej)
	case orderOrBasketInPath:
		o, err := s.Views.Orders.Get(ctx, id)
		if err != nil || o != nil {
			return customerOwns(ownerOf(o, func(v *orderstate.Order) string { return v.CustomerID }), o != nil, err, ordering.ErrOrderNotFound)
		}
		b, err := s.Views.Baskets.Get(ctx, id)
		return customerOwns(ownerOf(b, func(v *basketstate.Basket) string { return v.CustomerID }), b != nil, err, ordering.ErrOrderNotFound)
	case paymentInPath:
		pay, err := s.Views.Payments.Get(ctx, id)
		return customerOwns(ownerOf(pay, func(v *paymentstate.Payment) string { return v.CustomerID }), pay != nil, err, paymentNotFound)
	case invoiceInPath:
		inv, err := s.Views.Invoices.Get(ctx, id)
		if err != nil || inv == nil {
			return customerOwns("", false, err, payments.ErrInvoiceNotFound)
		}
		orderID := inv.State.OrderID
		if orderID == "" {
			orderID = id // an invoice's id is its order's
		}
		o, err := s.Views.Orders.Get(ctx, orderID)
		return customerOwns(ownerOf(o, func(v *orderstate.Order) string { return v.CustomerID }), o != nil, err, payments.ErrInvoiceNotFound)
	case storeInPath:
		store := r.PathValue("storeId")
		if store == "" {
			store = id
		}
		if !p.ManagesStore(store) {
			forbidden(w, p, rule.Route+" on a store it does not manage")
			return false
		}
		return true
	case productInPath:
		prod, err := s.Views.Products.Get(ctx, id)
		if err != nil {
			s.internal(w, err)
			return false
		}
		if prod == nil {
			notFound(w, stores.ErrProductNotFound)
			return false
		}
		if !p.ManagesStore(prod.State.StoreID) {
			forbidden(w, p, rule.Route+" on a product of a store it does not manage")
			return false
		}
		return true
	}
	s.Log.Error("an access rule grants own access without saying who owns what", "route", rule.Route)
	forbidden(w, p, rule.Route)
	return false
}

// mayActFor is asked by a route whose body names the customer it acts for
// (rule owner customerInBody): a customer acts only for themselves (403
// otherwise: the id is their own input, nothing is revealed).
func (s *server) mayActFor(w http.ResponseWriter, r *http.Request, customerID string) bool {
	rule, _ := r.Context().Value(ruleKey{}).(Rule)
	p, _ := principalOf(r.Context())
	if rule.owner == customerInBody && rule.Access(p.Role) == Own && customerID != p.CustomerID {
		forbidden(w, p, rule.Route+" for another customer")
		return false
	}
	return true
}

// ownerOf reads the owner out of a snapshot ("" for none).
func ownerOf[S any](snap *schemas.Snapshot[S], owner func(*S) string) string {
	if snap == nil {
		return ""
	}
	return owner(&snap.State)
}

// sagaNotFound answers a saga that does not exist (yet).
var sagaNotFound = aggregate.Reject(aggregate.NotFound, "saga_not_found", "no create-order saga for this order (yet)")
