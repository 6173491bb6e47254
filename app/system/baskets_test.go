package system_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	contractcustomers "github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/views/warehouse"
)

// shopperCommand sends a command the way another context does (not through
// the API) and fails unless it is accepted.
func shopperCommand(t *testing.T, cmd schemas.Command) schemas.CommandResult {
	t.Helper()
	res := sendAndWaitFor(t, cmd)
	if !res.Accepted {
		t.Fatalf("%T refused: %s", cmd, res.Message)
	}
	return res
}

// untilVisible repeats a request while it answers 404 with notFound: the
// processors see other aggregates through goka lookup tables, which follow
// the state tables a few milliseconds behind the API's views, so a command
// right after the referenced aggregate was created may not see it yet. A
// command refused because an aggregate is missing stores nothing, so
// repeating it is safe.
func untilVisible(t *testing.T, notFound string, do func() testkit.Response) testkit.Response {
	t.Helper()
	var r testkit.Response
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		r = do()
		return r.Status != http.StatusNotFound || r.S("message") != notFound, r.Raw
	})
	return r
}

// shopper registers a customer (with the customers context's command) and
// returns its id.
func shopper(t *testing.T, name string) string {
	t.Helper()
	cmd := &contractcustomers.RegisterCustomer{Name: name, SMSNumber: "555-0100"}
	cmd.AggregateID = uuid.NewString()
	return shopperCommand(t, cmd).AggregateID
}

// wizardStore creates a store (with the given name) selling "Wizard w/
// crystal" at 9.99 and returns the store and product ids.
func wizardStore(t *testing.T, name string) (store, product string) {
	t.Helper()
	store = createStore(t, name)
	api(t).Do("PUT", "/api/stores/"+store+"/participating", nil).Expect(t, http.StatusOK)
	product = api(t).Do("POST", "/api/stores/"+store+"/products",
		map[string]any{"name": "Wizard w/ crystal", "description": "a wizard", "sku": "WZ-1", "price": 9.99}).Expect(t, http.StatusCreated).S("id")
	return store, product
}

// startBasket starts a basket for a (just registered) customer and returns
// its id.
func startBasket(t *testing.T, customerID string) string {
	t.Helper()
	return untilVisible(t, "the customer does not exist", func() testkit.Response {
		return api(t).Do("POST", "/api/baskets", map[string]any{"customerId": customerID})
	}).Expect(t, http.StatusCreated).S("id")
}

// addItem adds a quantity of a (just created) product to a basket.
func addItem(t *testing.T, basket, product string, quantity int) testkit.Response {
	t.Helper()
	return untilVisible(t, "product fallback failed: product was not located", func() testkit.Response {
		return api(t).Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": product, "quantity": quantity})
	}).Expect(t, http.StatusOK)
}

// Reference scenario 5.
func TestARegisteredCustomerCanStartABasket(t *testing.T) {
	customer := shopper(t, "John Smith")
	r := untilVisible(t, "the customer does not exist", func() testkit.Response {
		return api(t).Do("POST", "/api/baskets", map[string]any{"customerId": customer})
	}).Expect(t, http.StatusCreated)
	if _, err := uuid.Parse(r.S("id")); err != nil || r.N("version") != 1 {
		t.Fatalf("want a new basket id and version 1: %s", r.Raw)
	}
	got := api(t).Do("GET", "/api/baskets/"+r.S("id"), nil).Expect(t, http.StatusOK)
	if got.S("customerId") != customer || got.S("status") != "open" || got.N("version") != 1 || got.N("total") != 0 {
		t.Fatalf("unexpected basket %s", got.Raw)
	}
	if items, ok := got.Body["items"].([]any); !ok || len(items) != 0 {
		t.Fatalf("a new basket has an empty item list: %s", got.Raw)
	}
}

// Reference scenario 6.
func TestAddingTenWizardsToAnOpenBasketSucceeds(t *testing.T) {
	store, product := wizardStore(t, "Nic & Naks")
	basket := startBasket(t, shopper(t, "Wizard Fan"))
	r := addItem(t, basket, product, 10)
	if r.S("id") != basket || r.N("version") != 2 {
		t.Fatalf("unexpected %s", r.Raw)
	}
	got := api(t).Do("GET", "/api/baskets/"+basket, nil).Expect(t, http.StatusOK)
	items, _ := got.Body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("want one line: %s", got.Raw)
	}
	line := items[0].(map[string]any)
	if line["productId"] != product || line["storeId"] != store || line["storeName"] != "Nic & Naks" ||
		line["productName"] != "Wizard w/ crystal" || line["price"] != 9.99 || line["quantity"] != 10.0 {
		t.Fatalf("unexpected line %v", line)
	}
	if !strings.Contains(got.Raw, `"total":99.90`) {
		t.Fatalf("want a total of 99.90 as a decimal number: %s", got.Raw)
	}
}

// Reference scenario 7.
func TestAddingAProductThatDoesNotExistFails(t *testing.T) {
	basket := startBasket(t, shopper(t, "Lost Shopper"))
	api(t).Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": uuid.NewString(), "quantity": 1}).
		ExpectError(t, http.StatusNotFound, "product fallback failed: product was not located")
}

func TestEveryBasketRuleAnswersWithItsTextAndStatus(t *testing.T) {
	a := api(t)
	_, product := wizardStore(t, "Basket Rules Store")
	customer := shopper(t, "Rules Shopper")
	missing := uuid.NewString()

	a.Do("POST", "/api/baskets", map[string]any{"customerId": " "}).ExpectError(t, 400, "the customer id cannot be blank")
	a.Do("POST", "/api/baskets", map[string]any{"customerId": missing}).ExpectError(t, 404, "the customer does not exist")
	basket := startBasket(t, customer)
	a.Do("POST", "/api/baskets", map[string]any{"id": basket, "customerId": customer}).ExpectError(t, 400, "the basket cannot be modified")

	add := func(q int) testkit.Response {
		return a.Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": product, "quantity": q})
	}
	remove := func(q int) testkit.Response {
		return a.Do("PUT", "/api/baskets/"+basket+"/removeItem", map[string]any{"productId": product, "quantity": q})
	}
	add(-1).ExpectError(t, 400, "the item quantity cannot be negative")
	remove(-1).ExpectError(t, 400, "the item quantity cannot be negative")
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": uuid.NewString()}).ExpectError(t, 400, "the basket has no items")
	addItem(t, basket, product, 3)
	add(2).Expect(t, 200)
	remove(1).Expect(t, 200)
	if r := a.Do("GET", "/api/baskets/"+basket, nil).Expect(t, 200); !strings.Contains(r.Raw, `"quantity":4`) || !strings.Contains(r.Raw, `"total":39.96`) || r.N("version") != 4 {
		t.Fatalf("adding adds to the line's quantity, removing lowers it: %s", r.Raw)
	}
	// Removing what is not in the basket changes nothing.
	if r := a.Do("PUT", "/api/baskets/"+basket+"/removeItem", map[string]any{"productId": missing, "quantity": 1}).Expect(t, 200); r.N("version") != 4 {
		t.Fatalf("removing a product not in the basket appended an event: %s", r.Raw)
	}
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": ""}).ExpectError(t, 400, "the payment id cannot be blank")
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": uuid.NewString()}).Expect(t, 200)
	if r := a.Do("GET", "/api/baskets/"+basket, nil).Expect(t, 200); r.S("status") != "checked_out" || r.S("paymentId") == "" {
		t.Fatalf("unexpected basket after checkout %s", r.Raw)
	}
	add(1).ExpectError(t, 400, "the basket cannot be modified")
	remove(1).ExpectError(t, 400, "the basket cannot be modified")
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": uuid.NewString()}).ExpectError(t, 400, "the basket cannot be modified")
	a.Do("DELETE", "/api/baskets/"+basket, nil).ExpectError(t, 400, "the basket cannot be cancelled")

	// Unknown baskets.
	a.Do("GET", "/api/baskets/"+missing, nil).ExpectError(t, 404, "the basket does not exist")
	a.Do("PUT", "/api/baskets/"+missing+"/addItem", map[string]any{"productId": product, "quantity": 1}).ExpectError(t, 404, "the basket does not exist")
	a.Do("DELETE", "/api/baskets/"+missing, nil).ExpectError(t, 404, "the basket does not exist")

	// A removed product cannot be added.
	a.Do("DELETE", "/api/stores/products/"+product, nil).Expect(t, 200)
	other := startBasket(t, customer)
	a.Do("PUT", "/api/baskets/"+other+"/addItem", map[string]any{"productId": product, "quantity": 1}).
		ExpectError(t, 404, "product fallback failed: product was not located")
}

func TestCancelingAnOpenBasket(t *testing.T) {
	a := api(t)
	basket := startBasket(t, shopper(t, "Cancel Shopper"))
	if r := a.Do("DELETE", "/api/baskets/"+basket, nil).Expect(t, http.StatusOK); r.N("version") != 2 {
		t.Fatalf("unexpected %s", r.Raw)
	}
	if r := a.Do("GET", "/api/baskets/"+basket, nil).Expect(t, 200); r.S("status") != "canceled" {
		t.Fatalf("want status canceled (American spelling): %s", r.Raw)
	}
	a.Do("DELETE", "/api/baskets/"+basket, nil).ExpectError(t, 400, "the basket cannot be cancelled")
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": uuid.NewString()}).ExpectError(t, 400, "the basket cannot be modified")
}

func TestBasketRequestsMustBeWellFormed(t *testing.T) {
	a := api(t)
	basket := startBasket(t, shopper(t, "Careful Shopper"))
	for _, tc := range []struct {
		name, path string
		body       any
	}{
		{"quantity missing", "/addItem", map[string]any{"productId": uuid.NewString()}},
		{"product missing", "/addItem", map[string]any{"quantity": 1}},
		{"fractional quantity", "/addItem", `{"productId": "p", "quantity": 1.5}`},
		{"unknown field", "/removeItem", map[string]any{"productId": "p", "quantity": 1, "price": 1}},
		{"not JSON", "/checkout", `{"paymentId": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Do("PUT", "/api/baskets/"+basket+tc.path, tc.body).Expect(t, http.StatusBadRequest)
			if r.S("code") == "" || r.S("message") == "" {
				t.Fatalf("want a code and a message naming the problem: %s", r.Raw)
			}
		})
	}
	a.Do("POST", "/api/baskets", map[string]any{"id": "not-a-uuid", "customerId": "c"}).Expect(t, http.StatusBadRequest)
}

func TestABasketAppearsInClickHouse(t *testing.T) {
	_, product := wizardStore(t, "Basket Warehouse Store")
	customer := shopper(t, "Warehouse Shopper")
	basket := startBasket(t, customer)
	addItem(t, basket, product, 3)
	payment := uuid.NewString()
	api(t).Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": payment}).Expect(t, 200)
	conn := clickhouseConn(t)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var cust, pay, status, total string
		var count, version uint64
		err := conn.QueryRow(context.Background(),
			"SELECT customer_id, payment_id, status, item_count, toString(total), version FROM mallbots.baskets FINAL WHERE id = ?", basket).
			Scan(&cust, &pay, &status, &count, &total, &version)
		ok := err == nil && cust == customer && pay == payment && status == "checked_out" && count == 3 && total == "29.97" && version == 3
		return ok, fmt.Sprintf("basket row: %q %q %q %d %q v%d %v", cust, pay, status, count, total, version, err)
	})
	expectColumns(t, warehouse.BasketsTable)
}
