package httpapi

import (
	"fmt"
	"strings"

	"github.com/mallbots/mallbots/app/auth"
)

// Access is what one role may do on one route (ADR 0022).
type Access uint8

const (
	// Denied answers 403.
	Denied Access = iota
	// Allowed lets the role at every resource of the route.
	Allowed
	// Own lets a customer at their own resources only; another's answers
	// 404 as an unknown one does, so a customer cannot learn that it
	// exists.
	Own
	// OwnStores lets a store manager at their stores' resources only;
	// another store's answers 403 (stores are public: nothing is revealed).
	OwnStores
)

// String is the cell the docs show.
func (a Access) String() string {
	switch a {
	case Allowed:
		return "yes"
	case Own:
		return "own"
	case OwnStores:
		return "own stores"
	}
	return "—"
}

// owner says where a route finds who owns the resource it touches.
type owner uint8

const (
	noOwner        owner = iota
	customerInPath       // {id} is the customer
	customerInBody       // the body's customerId, checked by the handler (mayActFor)
	basketInPath         // {id} is a basket: its customerId
	orderInPath          // {id} is an order: its customerId
	sagaInPath           // {id} is an order, answered as its saga
	paymentInPath        // {id} is a payment: its customerId
	invoiceInPath        // {id} is an invoice: its order's customerId
	storeInPath          // {id} or {storeId} is a store
	productInPath        // {id} is a product: its storeId
	// {id} is an order, or before the order exists the basket it is made
	// from (an order's id is its basket's): their customerId.
	orderOrBasketInPath
)

func (o owner) String() string {
	return [...]string{"", "the customer", "the body's customerId", "the basket's customer", "the order's customer",
		"the order's customer", "the payment's customer", "the invoice's order's customer", "the store", "the product's store",
		"the order's (or its basket's) customer"}[o]
}

// Rule is who may call one route. Routes are written as net/http patterns;
// the two that share a pattern with another (see stores.go) are written
// as the docs write them.
type Rule struct {
	Route  string
	owner  owner
	access map[auth.Role]Access
}

// Access is what role may do on the route.
func (r Rule) Access(role auth.Role) Access { return r.access[role] }

// Owner says what "own" means on the route ("" when nothing is owned).
func (r Rule) Owner() string { return r.owner.String() }

// grants are the columns of one rule.
type grants = map[auth.Role]Access

var (
	operatorOnly = grants{auth.Operator: Allowed}
	// catalogue: stores and products are read by every role.
	catalogue = grants{auth.Customer: Allowed, auth.StoreManager: Allowed, auth.Kiosk: Allowed, auth.Analyst: Allowed, auth.Operator: Allowed}
	// managed: a store manager's own stores and products.
	managed = grants{auth.StoreManager: OwnStores, auth.Operator: Allowed}
	// customers' own records, baskets, orders, payments and invoices.
	owned = grants{auth.Customer: Own, auth.Operator: Allowed}
	// analysis: order search, history and the projections' lag, read only.
	analysis = grants{auth.Analyst: Allowed, auth.Operator: Allowed}
)

// rules is the one table of who may do what: the guard enforces it and
// docs/domain.md renders it (AccessMarkdown; a test keeps the two equal).
// A registered route without a rule answers 403 to everyone, and
// TestEveryRouteHasAnAccessRule fails.
var rules = []Rule{
	{"POST /api/stores", noOwner, operatorOnly},
	{"GET /api/stores", noOwner, catalogue},
	{"GET /api/stores/participating", noOwner, catalogue},
	{"GET /api/stores/{id}", noOwner, catalogue},
	{"PUT /api/stores/{id}/participating", storeInPath, managed},
	{"DELETE /api/stores/{id}/participating", storeInPath, managed},
	{"PUT /api/stores/{id}/rebrand", storeInPath, managed},
	{"POST /api/stores/{storeId}/products", storeInPath, managed},
	{"GET /api/stores/{storeId}/products", noOwner, catalogue},
	{"GET /api/stores/products/{id}", noOwner, catalogue},
	{"PUT /api/stores/products/{id}/rebrand", productInPath, managed},
	{"PUT /api/stores/products/{id}/increasePrice", productInPath, managed},
	{"PUT /api/stores/products/{id}/decreasePrice", productInPath, managed},
	{"DELETE /api/stores/products/{id}", productInPath, managed},

	{"POST /api/customers", noOwner, grants{auth.Kiosk: Allowed, auth.Operator: Allowed}},
	{"GET /api/customers/{id}", customerInPath, owned},
	{"PUT /api/customers/{id}/enable", noOwner, operatorOnly},
	{"PUT /api/customers/{id}/disable", noOwner, operatorOnly},
	{"PUT /api/customers/{id}/change-sms", customerInPath, owned},

	{"POST /api/baskets", customerInBody, owned},
	{"GET /api/baskets/{id}", basketInPath, owned},
	{"PUT /api/baskets/{id}/addItem", basketInPath, owned},
	{"PUT /api/baskets/{id}/removeItem", basketInPath, owned},
	{"PUT /api/baskets/{id}/checkout", basketInPath, owned},
	{"DELETE /api/baskets/{id}", basketInPath, owned},

	{"GET /api/ordering/{id}", orderInPath, owned},
	{"GET /api/ordering/{id}/saga", sagaInPath, owned},
	{"GET /api/ordering/{id}/live", orderOrBasketInPath, owned},
	{"DELETE /api/ordering/{id}", orderInPath, owned},

	{"POST /api/payments", customerInBody, owned},
	{"GET /api/payments/{id}", paymentInPath, owned},
	{"GET /api/payments/invoices/{id}", invoiceInPath, owned},
	{"PUT /api/payments/invoices/{id}/pay", invoiceInPath, owned},

	{"GET /api/depot/shopping/{id}", noOwner, operatorOnly},
	{"GET /api/depot/bots", noOwner, operatorOnly},

	{"POST /api/search/orders", noOwner, analysis},
	{"GET /api/search/orders/{id}", noOwner, analysis},
	{"GET /api/history/{type}/{id}", noOwner, analysis},
	{"GET /api/projections", noOwner, analysis},
	{"GET /api/analytics", noOwner, analysis},
	{"GET /api/analytics/{name}", noOwner, analysis},
	{"GET /api/operations", noOwner, operatorOnly},
	{"GET /api/operations/live", noOwner, operatorOnly},
}

// Rules returns the access table, in the docs' order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

func ruleFor(route string) (Rule, bool) {
	for _, r := range rules {
		if r.Route == route {
			return r, true
		}
	}
	return Rule{}, false
}

// AccessMarkdown renders the access table as docs/domain.md shows it.
func AccessMarkdown() string {
	var b strings.Builder
	b.WriteString("| Route |")
	for _, role := range auth.Roles() {
		fmt.Fprintf(&b, " %s |", role)
	}
	b.WriteString(" Own means |\n|---|")
	for range auth.Roles() {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "| %s |", r.Route)
		for _, role := range auth.Roles() {
			fmt.Fprintf(&b, " %s |", r.Access(role))
		}
		fmt.Fprintf(&b, " %s |\n", r.Owner())
	}
	return b.String()
}
