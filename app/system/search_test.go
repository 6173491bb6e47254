package system_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
)

// searchFinds pages through a search (100 at a time) and returns the ids in
// the order the search gave them.
func searchFinds(t *testing.T, filter map[string]any) []string {
	t.Helper()
	var ids []string
	body := map[string]any{"limit": 100}
	for k, v := range filter {
		body[k] = v
	}
	for page := 0; page < 50; page++ {
		r := api(t).Do("POST", "/api/search/orders", body).Expect(t, http.StatusOK)
		orders, _ := r.Body["orders"].([]any)
		for _, o := range orders {
			ids = append(ids, o.(map[string]any)["id"].(string))
		}
		next, _ := r.Body["next"].(string)
		if next == "" {
			return ids
		}
		body["cursor"] = next
	}
	t.Fatalf("more than 50 pages for %v", filter)
	return nil
}

// searchedOrder waits until the search shows the order as cond wants it.
func searchedOrder(t *testing.T, order string, cond func(testkit.Response) bool) testkit.Response {
	t.Helper()
	var last testkit.Response
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		last = api(t).Do("GET", "/api/search/orders/"+order, nil)
		return last.Status == http.StatusOK && cond(last), fmt.Sprintf("search: %d %s", last.Status, last.Raw)
	})
	return last
}

// An order placed through the API is found by each filter of docs/domain.md,
// and by all of them together.
func TestAnOrderIsFoundByEachSearchFilter(t *testing.T) {
	s := newShopper(t)
	order := s.checkout(19.98)
	orderReaches(t, order, "ready", 30*time.Second) // a bot collected it; it waits for its invoice to be paid
	r := searchedOrder(t, order, func(r testkit.Response) bool { return r.S("status") == "ready" })

	if r.S("customerId") != s.customer || r.S("customerName") != "John Smith" || r.N("total") != 19.98 || r.N("version") < 3 {
		t.Fatalf("unexpected search row %s", r.Raw)
	}
	items, _ := r.Body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("want the order's line: %s", r.Raw)
	}
	line := items[0].(map[string]any)
	if line["productId"] != s.product || line["productName"] != "Wizard w/ crystal" || line["storeId"] != s.store ||
		line["storeName"] != "Mall Store" || line["price"] != 9.99 || line["quantity"] != 2.0 {
		t.Fatalf("unexpected line %v", line)
	}
	created, err := time.Parse(time.RFC3339Nano, r.S("createdAt"))
	if err != nil {
		t.Fatalf("createdAt: %v in %s", err, r.Raw)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.S("updatedAt")); err != nil {
		t.Fatalf("updatedAt: %v in %s", err, r.Raw)
	}
	// The bounds are [createdAfter, createdBefore), to the millisecond.
	at := created.Format(time.RFC3339Nano)
	justAfter := created.Add(time.Millisecond).Format(time.RFC3339Nano)

	for name, filter := range map[string]map[string]any{
		"customerId":                  {"customerId": s.customer},
		"createdAfter":                {"createdAfter": at},
		"createdBefore":               {"createdBefore": justAfter},
		"the millisecond it was made": {"createdAfter": at, "createdBefore": justAfter},
		"storeIds":                    {"storeIds": []string{s.store}},
		"productIds":                  {"productIds": []string{s.product}},
		"minTotal":                    {"minTotal": 19.98},
		"maxTotal":                    {"maxTotal": 19.98},
		"status":                      {"status": "ready"},
	} {
		if ids := searchFinds(t, filter); !slices.Contains(ids, order) {
			t.Errorf("%s %v: the order is not among the %d found", name, filter, len(ids))
		}
	}
	every := map[string]any{"customerId": s.customer, "createdAfter": at, "createdBefore": justAfter, "storeIds": []string{s.store},
		"productIds": []string{s.product}, "minTotal": 19.98, "maxTotal": 19.98, "status": "ready"}
	if ids := searchFinds(t, every); !slices.Equal(ids, []string{order}) {
		t.Errorf("every filter: found %v, want only the order", ids)
	}
	for name, filter := range map[string]map[string]any{
		"another status":    {"customerId": s.customer, "status": "pending"},
		"created after it":  {"customerId": s.customer, "createdAfter": justAfter},
		"created before it": {"customerId": s.customer, "createdBefore": at},
		"a higher minTotal": {"customerId": s.customer, "minTotal": 19.99},
		"a lower maxTotal":  {"customerId": s.customer, "maxTotal": 19.97},
	} {
		if ids := searchFinds(t, filter); len(ids) != 0 {
			t.Errorf("%s: found %v, want nothing", name, ids)
		}
	}
}

// A customer's orders come newest first, one page at a time.
func TestACustomersOrdersArePagedNewestFirst(t *testing.T) {
	s := newShopper(t)
	first := s.checkout(19.98)
	second := startBasket(t, s.customer)
	addItem(t, second, s.product, 1)
	payment := api(t).Do("POST", "/api/payments", map[string]any{"customerId": s.customer, "amount": 9.99}).Expect(t, http.StatusCreated).S("id")
	api(t).Do("PUT", "/api/baskets/"+second+"/checkout", map[string]any{"paymentId": payment}).Expect(t, http.StatusOK)
	searchedOrder(t, first, func(testkit.Response) bool { return true })
	searchedOrder(t, second, func(testkit.Response) bool { return true })

	p1 := api(t).Do("POST", "/api/search/orders", map[string]any{"customerId": s.customer, "limit": 1}).Expect(t, http.StatusOK)
	next, _ := p1.Body["next"].(string)
	p2 := api(t).Do("POST", "/api/search/orders", map[string]any{"customerId": s.customer, "limit": 1, "cursor": next}).Expect(t, http.StatusOK)
	idOf := func(r testkit.Response) string {
		orders, _ := r.Body["orders"].([]any)
		if len(orders) != 1 {
			t.Fatalf("want one order a page: %s", r.Raw)
		}
		return orders[0].(map[string]any)["id"].(string)
	}
	if idOf(p1) != second || next == "" || idOf(p2) != first || p2.Body["next"] != nil {
		t.Fatalf("want %s then %s, the second page last:\n%s\n%s", second, first, p1.Raw, p2.Raw)
	}
	// The cursor belongs to the customer's search, not to another one.
	api(t).Do("POST", "/api/search/orders", map[string]any{"status": "ready", "cursor": next}).Expect(t, http.StatusBadRequest)
}

func TestASearchWithABadFilterSaysWhichOne(t *testing.T) {
	api(t).Do("POST", "/api/search/orders", map[string]any{"status": "cancelled"}).
		ExpectError(t, http.StatusBadRequest, `status: unknown status "cancelled": use one of pending, approved, ready, completed, rejected, canceled`)
	api(t).Do("GET", "/api/search/orders/not-a-uuid", nil).ExpectError(t, http.StatusBadRequest, `id: must be a UUID, got "not-a-uuid"`)
	api(t).Do("GET", "/api/search/orders/00000000-0000-4000-8000-000000000000", nil).Expect(t, http.StatusNotFound)
}
