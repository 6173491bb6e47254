package system_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
)

// sharedSigningKey is the embedded issuer's key of this package's system,
// which secondAPI shares.
var sharedSigningKey string

func signingKey(dir string) string {
	sharedSigningKey = filepath.Join(dir, auth.KeyFile)
	return sharedSigningKey
}

var operator = auth.Principal{Role: auth.Operator}

func issue(t testing.TB, i *auth.Issuer, p auth.Principal) string {
	t.Helper()
	if i == nil {
		t.Fatal("the system has no embedded issuer")
	}
	tok, err := i.Issue(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenFor is a token of the system's embedded issuer.
func tokenFor(t testing.TB, p auth.Principal) string { return issue(t, sys.Issuer(), p) }

// The matrix's columns: no token, then each role; "customer*" is a
// customer bound to another customer than the resource's, "manager*" a
// store manager of another store.
var columns = []string{"none", "customer", "customer*", "manager", "manager*", "kiosk", "analyst", "operator"}

// target is what one request touches: its path and body, and the customer
// and store that own it (the "customer" and "manager" columns are bound
// to them).
type target struct {
	path, id        string
	body            any
	customer, store string
}

// routeCase is one row of the matrix: the route, its success status, the
// expected status per column ("ok" for the success status), and how to
// build its target. fresh builds a new target for every column that
// expects "ok" (a write that cannot be repeated); the others share one.
type routeCase struct {
	route  string
	ok     int
	want   string
	target func(t *testing.T, f *mall) target
	fresh  bool
}

// mall holds the shared resources, made by the operator.
type mall struct {
	once                             sync.Once
	store, product, customer, basket string
	order, payment, shoppingList     string
	rejected                         string
	otherCustomer, otherStore        string
}

func (m *mall) build(t *testing.T) {
	m.once.Do(func() {
		m.store, m.product = storeWithProduct(t)
		m.otherStore, _ = storeWithProduct(t)
		m.customer = newCustomer(t)
		m.otherCustomer = newCustomer(t)
		m.basket = newBasket(t, m.customer, m.product)
		var wg sync.WaitGroup
		wg.Go(func() { m.order, m.payment = readyOrder(t, m.customer, m.product, false) })
		wg.Go(func() { m.rejected, _ = readyOrder(t, m.customer, m.product, true) })
		wg.Wait()
		m.shoppingList = api(t).Do("GET", "/api/ordering/"+m.order+"/saga", nil).Expect(t, 200).S("shoppingListId")
		testkit.Eventually(t, 20*time.Second, func() (bool, string) { // projected for the search
			r := api(t).Do("GET", "/api/search/orders/"+m.order, nil)
			return r.Status == 200, r.Raw
		})
	})
}

func newCustomer(t *testing.T) string {
	return api(t).Do("POST", "/api/customers", map[string]any{"name": "Matrix Customer", "smsNumber": "+15550199"}).Expect(t, 201).S("id")
}

func newStore(t *testing.T, participating bool) string {
	id := createStore(t, "Matrix Store")
	if participating {
		api(t).Do("PUT", "/api/stores/"+id+"/participating", nil).Expect(t, 200)
	}
	return id
}

func newProduct(t *testing.T, store string) string {
	return api(t).Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": "Matrix Product", "price": 10}).Expect(t, 201).S("id")
}

func storeWithProduct(t *testing.T) (string, string) {
	s := newStore(t, true)
	return s, newProduct(t, s)
}

func newBasket(t *testing.T, customer, product string) string {
	b := api(t).Do("POST", "/api/baskets", map[string]any{"customerId": customer}).Expect(t, 201).S("id")
	api(t).Do("PUT", "/api/baskets/"+b+"/addItem", map[string]any{"productId": product, "quantity": 1}).Expect(t, 200)
	return b
}

// readyOrder takes a basket of product to an order ready for pickup with
// its invoice pending, or, underpaid, to a rejected order.
func readyOrder(t *testing.T, customer, product string, underpay bool) (order, payment string) {
	amount := 10.0
	if underpay {
		amount = 1
	}
	order = newBasket(t, customer, product)
	payment = api(t).Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": amount}).Expect(t, 201).S("id")
	api(t).Do("PUT", "/api/baskets/"+order+"/checkout", map[string]any{"paymentId": payment}).Expect(t, 200)
	if underpay {
		orderReaches(t, order, "rejected", 30*time.Second)
		return order, payment
	}
	orderReaches(t, order, "ready", 30*time.Second)
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		r := api(t).Do("GET", "/api/payments/invoices/"+order, nil)
		return r.Status == 200 && r.S("status") == "pending", r.Raw
	})
	return order, payment
}

func shared(path func(m *mall) (string, string), customer, store func(m *mall) string, body any) func(*testing.T, *mall) target {
	return func(t *testing.T, m *mall) target {
		p, id := path(m)
		tg := target{path: p, id: id, body: body}
		if customer != nil {
			tg.customer = customer(m)
		}
		if store != nil {
			tg.store = store(m)
		}
		return tg
	}
}

func ofCustomer(m *mall) string { return m.customer }
func ofStore(m *mall) string    { return m.store }

func at(format string, id func(m *mall) string) func(m *mall) (string, string) {
	return func(m *mall) (string, string) {
		if id == nil {
			return format, ""
		}
		v := id(m)
		return fmt.Sprintf(format, v), v
	}
}

// The expected status of every registered route for every role and for
// no token, written out rather than read from the rule table, so that the
// table cannot drift from what is meant.
var matrix = []routeCase{
	{"POST /api/stores", 201, "401 403 403 403 403 403 403 ok", shared(at("/api/stores", nil), nil, nil, map[string]any{"name": "New", "location": "L"}), false},
	{"GET /api/stores", 200, "401 ok ok ok ok ok ok ok", shared(at("/api/stores", nil), nil, nil, nil), false},
	{"GET /api/stores/participating", 200, "401 ok ok ok ok ok ok ok", shared(at("/api/stores/participating", nil), nil, nil, nil), false},
	{"GET /api/stores/{id}", 200, "401 ok ok ok ok ok ok ok", shared(at("/api/stores/%s", ofStore), nil, ofStore, nil), false},
	{"PUT /api/stores/{id}/participating", 200, "401 403 403 ok 403 403 403 ok", func(t *testing.T, m *mall) target {
		s := newStore(t, false)
		return target{path: "/api/stores/" + s + "/participating", id: s, store: s}
	}, true},
	{"DELETE /api/stores/{id}/participating", 200, "401 403 403 ok 403 403 403 ok", func(t *testing.T, m *mall) target {
		s := newStore(t, true)
		return target{path: "/api/stores/" + s + "/participating", id: s, store: s}
	}, true},
	{"PUT /api/stores/{id}/rebrand", 200, "401 403 403 ok 403 403 403 ok", shared(at("/api/stores/%s/rebrand", ofStore), nil, ofStore, map[string]any{"name": "Rebranded"}), false},
	{"POST /api/stores/{storeId}/products", 201, "401 403 403 ok 403 403 403 ok", shared(at("/api/stores/%s/products", ofStore), nil, ofStore, map[string]any{"name": "More", "price": 3}), false},
	{"GET /api/stores/{storeId}/products", 200, "401 ok ok ok ok ok ok ok", shared(at("/api/stores/%s/products", ofStore), nil, ofStore, nil), false},
	{"GET /api/stores/products/{id}", 200, "401 ok ok ok ok ok ok ok", shared(at("/api/stores/products/%s", func(m *mall) string { return m.product }), nil, ofStore, nil), false},
	{"PUT /api/stores/products/{id}/rebrand", 200, "401 403 403 ok 403 403 403 ok", shared(at("/api/stores/products/%s/rebrand", func(m *mall) string { return m.product }), nil, ofStore, map[string]any{"name": "Renamed", "description": "d"}), false},
	{"PUT /api/stores/products/{id}/increasePrice", 200, "401 403 403 ok 403 403 403 ok", freshProduct("increasePrice", map[string]any{"price": 20}), true},
	{"PUT /api/stores/products/{id}/decreasePrice", 200, "401 403 403 ok 403 403 403 ok", freshProduct("decreasePrice", map[string]any{"price": 5}), true},
	{"DELETE /api/stores/products/{id}", 200, "401 403 403 ok 403 403 403 ok", freshProduct("", nil), true},

	{"POST /api/customers", 201, "401 403 403 403 403 ok 403 ok", shared(at("/api/customers", nil), nil, nil, map[string]any{"name": "Kiosk Kate", "smsNumber": "+15550123"}), false},
	{"GET /api/customers/{id}", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/customers/%s", ofCustomer), ofCustomer, nil, nil), false},
	{"PUT /api/customers/{id}/enable", 200, "401 403 403 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		c := newCustomer(t)
		api(t).Do("PUT", "/api/customers/"+c+"/disable", nil).Expect(t, 200)
		return target{path: "/api/customers/" + c + "/enable", id: c, customer: c}
	}, true},
	{"PUT /api/customers/{id}/disable", 200, "401 403 403 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		c := newCustomer(t)
		return target{path: "/api/customers/" + c + "/disable", id: c, customer: c}
	}, true},
	{"PUT /api/customers/{id}/change-sms", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/customers/%s/change-sms", ofCustomer), ofCustomer, nil, map[string]any{"smsNumber": "+15550124"}), false},

	{"POST /api/baskets", 201, "401 ok 403 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		return target{path: "/api/baskets", body: map[string]any{"customerId": m.customer}, customer: m.customer}
	}, false},
	{"GET /api/baskets/{id}", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/baskets/%s", func(m *mall) string { return m.basket }), ofCustomer, nil, nil), false},
	{"PUT /api/baskets/{id}/addItem", 200, "401 ok 404 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		return target{path: "/api/baskets/" + m.basket + "/addItem", id: m.basket, customer: m.customer, body: map[string]any{"productId": m.product, "quantity": 1}}
	}, false},
	{"PUT /api/baskets/{id}/removeItem", 200, "401 ok 404 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		return target{path: "/api/baskets/" + m.basket + "/removeItem", id: m.basket, customer: m.customer, body: map[string]any{"productId": m.product, "quantity": 1}}
	}, false},
	{"PUT /api/baskets/{id}/checkout", 200, "401 ok 404 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		b := newBasket(t, m.customer, m.product)
		return target{path: "/api/baskets/" + b + "/checkout", id: b, customer: m.customer, body: map[string]any{"paymentId": uuid.NewString()}}
	}, true},
	{"DELETE /api/baskets/{id}", 200, "401 ok 404 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		b := newBasket(t, m.customer, m.product)
		return target{path: "/api/baskets/" + b, id: b, customer: m.customer}
	}, true},

	{"GET /api/ordering/{id}", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/ordering/%s", func(m *mall) string { return m.order }), ofCustomer, nil, nil), false},
	{"GET /api/ordering/{id}/saga", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/ordering/%s/saga", func(m *mall) string { return m.order }), ofCustomer, nil, nil), false},
	{"GET /api/ordering/{id}/live", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/ordering/%s/live", func(m *mall) string { return m.order }), ofCustomer, nil, nil), false},
	// A rejected order cannot be canceled: the guard's pass shows as the
	// rule's 400, the same for every role that passes.
	{"DELETE /api/ordering/{id}", 400, "401 ok 404 403 403 403 403 ok", shared(at("/api/ordering/%s", func(m *mall) string { return m.rejected }), ofCustomer, nil, nil), false},

	{"POST /api/payments", 201, "401 ok 403 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		return target{path: "/api/payments", body: map[string]any{"customerId": m.customer, "amount": 5}, customer: m.customer}
	}, false},
	{"GET /api/payments/{id}", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/payments/%s", func(m *mall) string { return m.payment }), ofCustomer, nil, nil), false},
	{"GET /api/payments/invoices/{id}", 200, "401 ok 404 403 403 403 403 ok", shared(at("/api/payments/invoices/%s", func(m *mall) string { return m.order }), ofCustomer, nil, nil), false},
	{"PUT /api/payments/invoices/{id}/pay", 200, "401 ok 404 403 403 403 403 ok", func(t *testing.T, m *mall) target {
		o, _ := readyOrder(t, m.customer, m.product, false)
		return target{path: "/api/payments/invoices/" + o + "/pay", id: o, customer: m.customer}
	}, true},

	{"GET /api/depot/shopping/{id}", 200, "401 403 403 403 403 403 403 ok", shared(at("/api/depot/shopping/%s", func(m *mall) string { return m.shoppingList }), nil, nil, nil), false},
	{"GET /api/depot/bots", 200, "401 403 403 403 403 403 403 ok", shared(at("/api/depot/bots", nil), nil, nil, nil), false},

	{"POST /api/search/orders", 200, "401 403 403 403 403 403 ok ok", shared(at("/api/search/orders", nil), nil, nil, map[string]any{}), false},
	{"GET /api/search/orders/{id}", 200, "401 403 403 403 403 403 ok ok", shared(at("/api/search/orders/%s", func(m *mall) string { return m.order }), nil, nil, nil), false},
	{"GET /api/history/{type}/{id}", 200, "401 403 403 403 403 403 ok ok", shared(at("/api/history/order/%s", func(m *mall) string { return m.order }), nil, nil, nil), false},
	{"GET /api/projections", 200, "401 403 403 403 403 403 ok ok", shared(at("/api/projections", nil), nil, nil, nil), false},
	{"GET /api/analytics", 200, "401 403 403 403 403 403 ok ok", shared(at("/api/analytics", nil), nil, nil, nil), false},
	{"GET /api/analytics/{name}", 200, "401 403 403 403 403 403 ok ok", shared(at("/api/analytics/top_products", nil), nil, nil, nil), false},
	{"GET /api/operations", 200, "401 403 403 403 403 403 403 ok", shared(at("/api/operations", nil), nil, nil, nil), false},
	{"GET /api/operations/live", 200, "401 403 403 403 403 403 403 ok", shared(at("/api/operations/live", nil), nil, nil, nil), false},
}

func freshProduct(action string, body any) func(*testing.T, *mall) target {
	return func(t *testing.T, m *mall) target {
		s, p := storeWithProduct(t)
		path := "/api/stores/products/" + p
		if action != "" {
			path += "/" + action
		}
		return target{path: path, id: p, store: s, body: body}
	}
}

// principal is the column's principal for a target.
func principal(column string, tg target, m *mall) (auth.Principal, bool) {
	customer, store := tg.customer, tg.store
	if customer == "" {
		customer = m.customer
	}
	if store == "" {
		store = m.store
	}
	switch column {
	case "customer":
		return auth.Principal{Role: auth.Customer, CustomerID: customer}, true
	case "customer*":
		return auth.Principal{Role: auth.Customer, CustomerID: m.otherCustomer}, true
	case "manager":
		return auth.Principal{Role: auth.StoreManager, StoreIDs: []string{store}}, true
	case "manager*":
		return auth.Principal{Role: auth.StoreManager, StoreIDs: []string{m.otherStore}}, true
	case "kiosk":
		return auth.Principal{Role: auth.Kiosk}, true
	case "analyst":
		return auth.Principal{Role: auth.Analyst}, true
	case "operator":
		return operator, true
	}
	return auth.Principal{}, false
}

// Every registered route, for every role and without a token, answers
// what the matrix says; a 404 for another customer's resource is the very
// answer an unknown id gets.
func TestTheAccessMatrixHoldsForEveryRouteAndRole(t *testing.T) {
	m := &mall{}
	m.build(t)
	rows := map[string]routeCase{}
	for _, rc := range matrix {
		rows[rc.route] = rc
	}
	cells := 0
	for _, route := range httpapi.RegisteredRoutes() {
		rc, ok := rows[route]
		if !ok {
			t.Errorf("%s is registered but not in the access matrix: add its row with the status each role must get", route)
			continue
		}
		delete(rows, route)
		wants := strings.Fields(rc.want)
		if len(wants) != len(columns) {
			t.Fatalf("%s: %d expectations for %d columns", route, len(wants), len(columns))
		}
		method, _, _ := strings.Cut(route, " ")
		var sharedTarget *target
		for i, column := range columns {
			want := rc.ok
			if wants[i] != "ok" {
				want, _ = strconv.Atoi(wants[i])
			}
			var tg target
			if rc.fresh && wants[i] == "ok" || sharedTarget == nil {
				tg = rc.target(t, m)
				if !rc.fresh || wants[i] != "ok" {
					sharedTarget = &tg
				}
			} else {
				tg = *sharedTarget
			}
			client := testkit.API{T: t, Base: "http://" + sys.HTTPAddr()}
			if p, ok := principal(column, tg, m); ok {
				client.Token = tokenFor(t, p)
			}
			do := client.Do
			if strings.HasSuffix(route, "/live") { // a stream: its first event
				do = func(_, path string, _ any, _ ...string) testkit.Response { return client.Stream(path) }
			}
			r := do(method, tg.path, tg.body)
			cells++
			if r.Status != want {
				t.Errorf("%s as %s (%s %s): %d, want %d: %s", route, column, method, tg.path, r.Status, want, r.Raw)
				continue
			}
			if want == 401 && !strings.HasPrefix(r.Raw, `{"code":"unauthenticated"`) {
				t.Errorf("%s without a token: %s", route, r.Raw)
			}
			if want == 404 && tg.id != "" {
				unknown := do(method, strings.Replace(tg.path, tg.id, uuid.NewString(), 1), tg.body)
				if unknown.Status != 404 || unknown.S("code") != r.S("code") || unknown.S("message") != r.S("message") {
					t.Errorf("%s as %s: another customer's resource answers %s, an unknown one %d %s: the answer tells them apart", route, column, r.Raw, unknown.Status, unknown.Raw)
				}
			}
		}
	}
	for route := range rows {
		t.Errorf("the matrix has a row for %s, which is not registered", route)
	}
	t.Logf("%d routes × %d columns: %d cells", len(httpapi.RegisteredRoutes()), len(columns), cells)
}

// A kiosk signs a customer in: registering answers the customer's token,
// with which the customer shops, and with which nobody else's data opens.
func TestAKioskRegistrationAnswersTheNewCustomersToken(t *testing.T) {
	m := &mall{}
	kiosk := testkit.API{T: t, Base: "http://" + sys.HTTPAddr(), Token: tokenFor(t, auth.Principal{Role: auth.Kiosk})}
	r := kiosk.Do("POST", "/api/customers", map[string]any{"name": "Kiosk Kim", "smsNumber": "+15550125"}).Expect(t, 201)
	id, token := r.S("id"), r.S("token")
	if token == "" {
		t.Fatalf("the kiosk got no token: %s", r.Raw)
	}
	customer := kiosk.As(token)
	customer.Do("GET", "/api/customers/"+id, nil).Expect(t, 200)
	_, product := storeWithProduct(t)
	basket := customer.Do("POST", "/api/baskets", map[string]any{"customerId": id}).Expect(t, 201).S("id")
	customer.Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": product, "quantity": 2}).Expect(t, 200)
	m.customer = newCustomer(t)
	customer.Do("GET", "/api/customers/"+m.customer, nil).Expect(t, 404)
	customer.Do("POST", "/api/customers", map[string]any{"name": "Self", "smsNumber": "1"}).Expect(t, 403)
	// The operator registering a customer gets no token: only a kiosk signs in.
	if tok := api(t).Do("POST", "/api/customers", map[string]any{"name": "Op", "smsNumber": "1"}).Expect(t, 201).S("token"); tok != "" {
		t.Errorf("the operator's registration answered a token")
	}
}

// The refusals of ADR 0022 against the running API: each is 401 with a
// Bearer challenge naming invalid_token.
func TestTheAPIRefusesHostileTokens(t *testing.T) {
	now := time.Now()
	key, err := auth.LoadKey(sharedSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := auth.NewIssuer(key, auth.WithClock(func() time.Time { return now.Add(-3 * time.Hour) })).Issue(operator, time.Hour)
	otherAudience, _ := auth.NewIssuer(key, auth.WithAudience("not-mallbots")).Issue(operator, time.Hour)
	other, err := auth.LoadOrCreateKey(filepath.Join(t.TempDir(), auth.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := auth.NewIssuer(other).Issue(operator, time.Hour)
	good := tokenFor(t, operator)
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(good, ".")[1] + "."
	for name, tok := range map[string]string{
		"expired": expired, "another audience": otherAudience, "another key": otherKey,
		"alg none": none, "malformed": "a.b.c",
	} {
		req, _ := http.NewRequest("GET", "http://"+sys.HTTPAddr()+"/api/stores", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || !strings.Contains(ch, `error="invalid_token"`) {
			t.Errorf("%s: %d %q, want 401 with error=\"invalid_token\"", name, resp.StatusCode, ch)
		}
	}
	req, _ := http.NewRequest("GET", "http://"+sys.HTTPAddr()+"/api/stores", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || ch != `Bearer realm="mallbots"` {
		t.Errorf("no token: %d %q, want 401 with a bare Bearer challenge", resp.StatusCode, ch)
	}
}
