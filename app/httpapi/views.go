package httpapi

import (
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/views/state"
)

// Views are the goka views the API reads aggregates from, one per table.
type Views struct {
	Stores        *state.View[stores.Store]
	Products      *state.View[stores.Product]
	Customers     *state.View[customers.Customer]
	Baskets       *state.View[baskets.Basket]
	Orders        *state.View[ordering.Order]
	Payments      *state.View[payments.Payment]
	Invoices      *state.View[payments.Invoice]
	ShoppingLists *state.View[depot.ShoppingList]
	Bots          *state.View[depot.Bot]
}
