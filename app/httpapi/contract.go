package httpapi

import (
	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/processors/stores"
)

// rejects lists the domain's refusals of a command or a read.
func rejects(r ...*aggregate.Rejection) []*aggregate.Rejection { return r }

// Errors of single routes.
var (
	errInvalidFilter  = apiErr{400, "invalid_filter", "a filter is malformed or out of range: the message names each"}
	errSearchNotFound = apiErr{404, "not_found", "no such order, or not projected to ClickHouse yet"}
	errUnknownType    = apiErr{400, "unknown_aggregate_type", "the type is not an aggregate type or group"}
	errBadTime        = apiErr{400, "bad_time", "at is not an RFC 3339 instant"}
	errNotInHistory   = apiErr{404, "not_in_history", "the aggregate had no event yet at that instant"}
	errNoHistory      = apiErr{503, "history_unavailable", "this instance does not read the event log"}
	errBadParameter   = apiErr{400, "invalid_parameter", "a parameter is missing, malformed, unknown or given twice"}
	errNoQuery        = apiErr{404, "query_not_found", "the cookbook has no query of that name"}
	errDocNotFound    = apiErr{404, "route_not_found", "the viewer has no such file"}
)

// Every limit a basket re-checks on AddItem and at checkout (ADR 0014).
var basketLimits = rejects(baskets.ErrProductPriceNegative, baskets.ErrProductPriceTooLarge, baskets.ErrItemQuantityTooLarge,
	baskets.ErrBasketHasTooManyProducts, baskets.ErrBasketTotalTooLarge)

// operations is the contract's table: one entry per route, in the access
// table's order, then the public routes. A route registered without an
// entry here, or an entry without a route, fails
// TestTheContractNamesEveryRouteAndNoOther.
func operations() []operation {
	productChange := rejects(stores.ErrProductNotFound, stores.ErrProductRemoved)
	return []operation{
		{route: "POST /api/stores", tag: "stores", summary: "Create a store (CreateStore)", body: createStoreBody{}, answer: written{}, created: true, command: true,
			rejects: rejects(stores.ErrStoreExists, stores.ErrStoreNameBlank, stores.ErrStoreLocationBlank)},
		{route: "GET /api/stores", tag: "stores", summary: "Every store, by name", answer: []storeJSON{}},
		{route: "GET /api/stores/participating", tag: "stores", summary: "The participating stores, by name", answer: []storeJSON{}},
		{route: "GET /api/stores/{id}", tag: "stores", summary: "A store", answer: storeJSON{}, read: true, rejects: rejects(stores.ErrStoreNotFound)},
		{route: "PUT /api/stores/{id}/participating", tag: "stores", summary: "Enable participation (EnableParticipation)", answer: written{}, command: true,
			rejects: rejects(stores.ErrAlreadyParticipating, stores.ErrStoreNotFound)},
		{route: "DELETE /api/stores/{id}/participating", tag: "stores", summary: "Disable participation (DisableParticipation)", answer: written{}, command: true,
			rejects: rejects(stores.ErrNotParticipating, stores.ErrStoreNotFound)},
		{route: "PUT /api/stores/{id}/rebrand", tag: "stores", summary: "Rename a store (RebrandStore)", body: rebrandStoreBody{}, answer: written{}, command: true,
			rejects: rejects(stores.ErrStoreNameBlank, stores.ErrStoreNotFound)},
		{route: "POST /api/stores/{storeId}/products", tag: "products", summary: "Add a product to a store (AddProduct)", body: addProductBody{}, answer: written{}, created: true, command: true,
			rejects: rejects(stores.ErrProductExists, stores.ErrProductNameBlank, stores.ErrProductPriceNegative, stores.ErrProductPriceTooLarge, stores.ErrStoreNotFound)},
		{route: "GET /api/stores/{storeId}/products", tag: "products", summary: "A store's products, removed ones left out, by name", answer: []productJSON{},
			rejects: rejects(stores.ErrStoreNotFound)},
		{route: "GET /api/stores/products/{id}", tag: "products", summary: "A product", answer: productJSON{}, read: true, rejects: rejects(stores.ErrProductNotFound)},
		{route: "PUT /api/stores/products/{id}/rebrand", tag: "products", summary: "Rename and describe a product (RebrandProduct)", body: rebrandProductBody{}, answer: written{}, command: true,
			rejects: append(rejects(stores.ErrProductNameBlank), productChange...)},
		{route: "PUT /api/stores/products/{id}/increasePrice", tag: "products", summary: "Raise a price to the one given (IncreaseProductPrice)", body: priceBody{}, answer: written{}, command: true,
			rejects: append(rejects(stores.ErrPriceDecrease, stores.ErrProductPriceTooLarge), productChange...)},
		{route: "PUT /api/stores/products/{id}/decreasePrice", tag: "products", summary: "Lower a price to the one given (DecreaseProductPrice)", body: priceBody{}, answer: written{}, command: true,
			rejects: append(rejects(stores.ErrPriceIncrease, stores.ErrProductPriceNegative, stores.ErrProductPriceTooLarge), productChange...)},
		{route: "DELETE /api/stores/products/{id}", tag: "products", summary: "Remove a product (RemoveProduct)", answer: written{}, command: true, rejects: productChange},

		{route: "POST /api/customers", tag: "customers", summary: "Register a customer (RegisterCustomer)", body: registerCustomerBody{}, answer: written{}, created: true, command: true,
			about:   "A kiosk's registration answers the new customer's token (`token`, role customer) when the embedded issuer signs tokens.",
			rejects: rejects(customers.ErrCustomerExists, customers.ErrCustomerNameBlank, customers.ErrSmsNumberBlank)},
		{route: "GET /api/customers/{id}", tag: "customers", summary: "A customer", answer: customerJSON{}, read: true, rejects: rejects(customers.ErrCustomerNotFound)},
		{route: "PUT /api/customers/{id}/enable", tag: "customers", summary: "Enable a customer (EnableCustomer)", answer: written{}, command: true,
			rejects: rejects(customers.ErrAlreadyEnabled, customers.ErrCustomerNotFound)},
		{route: "PUT /api/customers/{id}/disable", tag: "customers", summary: "Disable a customer (DisableCustomer)", answer: written{}, command: true,
			rejects: rejects(customers.ErrAlreadyDisabled, customers.ErrCustomerNotFound)},
		{route: "PUT /api/customers/{id}/change-sms", tag: "customers", summary: "Change the SMS number (ChangeSmsNumber)", body: changeSMSBody{}, answer: written{}, command: true,
			rejects: rejects(customers.ErrSmsNumberBlank, customers.ErrCustomerNotFound)},

		{route: "POST /api/baskets", tag: "baskets", summary: "Start a basket (StartBasket)", body: startBasketBody{}, answer: written{}, created: true, command: true,
			rejects: rejects(baskets.ErrCustomerIDBlank, baskets.ErrBasketCannotModify, baskets.ErrCustomerNotFound)},
		{route: "GET /api/baskets/{id}", tag: "baskets", summary: "A basket", answer: basketJSON{}, read: true, rejects: rejects(baskets.ErrBasketNotFound)},
		{route: "PUT /api/baskets/{id}/addItem", tag: "baskets", summary: "Add units of a product (AddItem)", body: itemBody{}, answer: written{}, command: true,
			rejects: append(rejects(baskets.ErrBasketCannotModify, baskets.ErrItemQuantityNegative, baskets.ErrProductNotLocated, baskets.ErrBasketNotFound), basketLimits...)},
		{route: "PUT /api/baskets/{id}/removeItem", tag: "baskets", summary: "Remove units of a product (RemoveItem)", body: itemBody{}, answer: written{}, command: true,
			rejects: rejects(baskets.ErrBasketCannotModify, baskets.ErrItemQuantityNegative, baskets.ErrBasketNotFound)},
		{route: "PUT /api/baskets/{id}/checkout", tag: "baskets", summary: "Check out: the order's id is the basket's (CheckoutBasket)", body: checkoutBody{}, answer: written{}, command: true,
			rejects: append(rejects(baskets.ErrBasketCannotModify, baskets.ErrBasketHasNoItems, baskets.ErrPaymentIDBlank, baskets.ErrBasketNotFound), basketLimits...)},
		{route: "DELETE /api/baskets/{id}", tag: "baskets", summary: "Cancel a basket (CancelBasket)", answer: written{}, command: true,
			rejects: rejects(baskets.ErrBasketCannotCancel, baskets.ErrBasketNotFound)},

		{route: "GET /api/ordering/{id}", tag: "ordering", summary: "An order", answer: orderJSON{}, read: true, rejects: rejects(ordering.ErrOrderNotFound)},
		{route: "GET /api/ordering/{id}/saga", tag: "ordering", summary: "The order's create-order saga", answer: sagaJSON{}, rejects: rejects(sagaNotFound)},
		{route: "GET /api/ordering/{id}/live", tag: "ordering", summary: "Follow an order: its state, saga, shopping list and notifications as they change", stream: "order", data: liveOrderJSON{},
			about:   "Opens on the basket before its order exists (an order's id is its basket's); `order`, `saga` and `shoppingList` are null until they exist.",
			rejects: rejects(ordering.ErrOrderNotFound)},
		{route: "DELETE /api/ordering/{id}", tag: "ordering", summary: "Cancel an order (CancelOrder)", answer: written{}, command: true,
			rejects: rejects(ordering.ErrOrderCannotCancel, ordering.ErrOrderNotFound)},

		{route: "POST /api/payments", tag: "payments", summary: "Authorize a payment (AuthorizePayment)", body: authorizePaymentBody{}, answer: written{}, created: true, command: true,
			rejects: rejects(payments.ErrPaymentExists, payments.ErrPaymentAmountNotPositive, payments.ErrPaymentAmountTooLarge, payments.ErrCustomerIDBlank, payments.ErrCustomerNotFound)},
		{route: "GET /api/payments/{id}", tag: "payments", summary: "A payment", answer: paymentJSON{}, read: true, rejects: rejects(paymentNotFound)},
		{route: "GET /api/payments/invoices/{id}", tag: "payments", summary: "An invoice (its id is its order's)", answer: invoiceJSON{}, read: true, rejects: rejects(payments.ErrInvoiceNotFound)},
		{route: "PUT /api/payments/invoices/{id}/pay", tag: "payments", summary: "Pay an invoice at pickup (PayInvoice)", answer: written{}, command: true,
			rejects: rejects(payments.ErrInvoiceCannotBePaid, payments.ErrInvoiceNotFound)},

		{route: "GET /api/depot/shopping/{id}", tag: "depot", summary: "A shopping list", answer: shoppingListJSON{}, read: true, rejects: rejects(depot.ErrShoppingListNotFound)},
		{route: "GET /api/depot/bots", tag: "depot", summary: "Every bot ever assigned (bot-2 before bot-10)", answer: []botJSON{}},

		{route: "POST /api/search/orders", tag: "search", summary: "Search orders (ClickHouse): every filter optional and AND-ed, newest first", body: searchRequestJSON{}, answer: searchPageJSON{},
			about: "`next` is the `cursor` of the following page with the same filters; null on the last page (ADR 0009).",
			errs:  []apiErr{errInvalidFilter, errUnavailable}},
		{route: "GET /api/search/orders/{id}", tag: "search", summary: "One order as the search sees it", answer: searchOrderJSON{},
			errs: []apiErr{errInvalidFilter, errSearchNotFound, errUnavailable}},
		{route: "GET /api/history/{type}/{id}", tag: "history", summary: "An aggregate as the event log says it was at an instant", answer: replay.Point{},
			about: "`type` is an aggregate type (`store`, `product`, `customer`, `basket`, `order`, `payment`, `invoice`, `shopping_list`, `bot`) or its group; `state` is the state record as the Avro contract spells it (money in cents).",
			query: []param{{name: "at", about: "The instant, RFC 3339 (encode a + as %2B); default now.", schema: object{"type": "string", "format": "date-time"}}},
			errs:  []apiErr{errUnknownType, errBadTime, errNotInHistory, errNoHistory}},
		{route: "GET /api/projections", tag: "operations", summary: "The ClickHouse projections' lag", answer: ProjectionsReport{}, errs: []apiErr{errUnavailable}},
		{route: "GET /api/analytics", tag: "analytics", summary: "The cookbook's queries (docs/analytics.md)", answer: []analyticsQueryJSON{}, errs: []apiErr{errUnavailable}},
		{route: "GET /api/analytics/{name}", tag: "analytics", summary: "Run one of the cookbook's queries as the read-only analyst", answer: analyticsTableJSON{},
			about: "Its parameters are given as `?param=value`, each once; GET /api/analytics lists them.",
			errs:  []apiErr{errBadParameter, errNoQuery, errUnavailable}},
		{route: "GET /api/operations", tag: "operations", summary: "The operators' report: components, groups, projections, dead letters, throughput", answer: OperationsReport{}, errs: []apiErr{errUnavailable}},
		{route: "GET /api/operations/live", tag: "operations", summary: "The operators' report as a stream, measured every 2 s", stream: "operations", data: OperationsReport{}, errs: []apiErr{errUnavailable}},

		{route: "GET " + contractPath, tag: "contract", summary: "This contract (OpenAPI 3.1)", answer: rawAnswer{"application/json"}, public: true},
		{route: "GET " + docsPath, tag: "contract", summary: "The contract rendered for people (Swagger UI)", answer: rawAnswer{"text/html"}, public: true},
		{route: "GET " + docsPath + "/{file}", tag: "contract", summary: "The viewer's files", answer: rawAnswer{"*/*"}, public: true, errs: []apiErr{errDocNotFound}},
		{route: "GET " + asyncAPIPath, tag: "contract", summary: "The topics' contract (AsyncAPI 3.0): channels, messages and who may send or receive them", answer: rawAnswer{"application/json"}, public: true},
	}
}
