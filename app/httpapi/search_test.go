package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/views/search"
)

const (
	customerID = "7a1d2c3e-0000-4000-8000-000000000001"
	storeID    = "7a1d2c3e-0000-4000-8000-000000000002"
	orderID    = "7a1d2c3e-0000-4000-8000-000000000003"
)

// fakeSearch records the request and answers like the querier: a request
// with problems is a BadRequest.
type fakeSearch struct {
	got  search.Request
	page search.Page
}

func (f *fakeSearch) Search(_ context.Context, r search.Request) (search.Page, error) {
	f.got = r
	if bad := r.Validate(); bad != nil {
		return search.Page{}, bad
	}
	return f.page, nil
}

func (f *fakeSearch) Order(_ context.Context, id string) (search.Order, error) {
	if id != orderID {
		return search.Order{}, fmt.Errorf("order %s: %w", id, search.ErrNotFound)
	}
	return f.page.Orders[0], nil
}

func searchAPI(t *testing.T, f *fakeSearch) testkit.API {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{Search: f})))
	t.Cleanup(srv.Close)
	return testkit.API{T: t, Transport: checked, Base: srv.URL, Token: httpapi.OperatorToken}
}

var anOrder = search.Order{
	ID: orderID, CustomerID: customerID, CustomerName: "John Smith",
	Items:      []search.Item{{ProductID: "p", ProductName: "Wizard w/ crystal", StoreID: storeID, StoreName: "Nic & Naks", PriceCents: 999, Quantity: 2}},
	TotalCents: 1998, Status: "ready",
	CreatedAt: time.Date(2026, 3, 1, 9, 30, 0, 123e6, time.UTC), UpdatedAt: time.Date(2026, 3, 1, 9, 31, 0, 0, time.UTC), Version: 3,
}

func TestEveryFilterReachesTheSearch(t *testing.T) {
	f := &fakeSearch{page: search.Page{Orders: []search.Order{anOrder}, Next: "abc"}}
	r := searchAPI(t, f).Do("POST", "/api/search/orders", `{"customerId":"`+customerID+`",
		"createdAfter":"2026-01-01T00:00:00Z","createdBefore":"2026-02-01T01:00:00+01:00",
		"storeIds":["`+storeID+`"],"productIds":["`+orderID+`"],"minTotal":9.99,"maxTotal":100,"status":"ready","limit":5}`).Expect(t, http.StatusOK)
	min, max := int64(999), int64(10000)
	want := search.Request{Filter: search.Filter{
		CustomerID:   customerID,
		CreatedAfter: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), CreatedBefore: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		StoreIDs: []string{storeID}, ProductIDs: []string{orderID}, MinTotal: &min, MaxTotal: &max, Status: "ready",
	}, Limit: 5}
	if !f.got.CreatedBefore.Equal(want.CreatedBefore) {
		t.Fatalf("createdBefore %s, want %s", f.got.CreatedBefore, want.CreatedBefore)
	}
	f.got.CreatedBefore = want.CreatedBefore
	if !reflect.DeepEqual(f.got, want) {
		t.Fatalf("the search got\n%+v\nwant\n%+v", f.got, want)
	}
	if r.S("next") != "abc" {
		t.Fatalf("want the next cursor: %s", r.Raw)
	}
	wantRow := `{"id":"` + orderID + `","customerId":"` + customerID + `","customerName":"John Smith",` +
		`"items":[{"productId":"p","productName":"Wizard w/ crystal","storeId":"` + storeID + `","storeName":"Nic \u0026 Naks","price":9.99,"quantity":2}],` +
		`"total":19.98,"status":"ready","createdAt":"2026-03-01T09:30:00.123Z","updatedAt":"2026-03-01T09:31:00.000Z","version":3}`
	if !strings.Contains(r.Raw, `"orders":[`+wantRow+`]`) {
		t.Fatalf("body %s\nwant the row %s", r.Raw, wantRow)
	}
}

func TestAnEmptyBodySearchesEverythingAndTheLastPageHasANullNext(t *testing.T) {
	f := &fakeSearch{}
	r := searchAPI(t, f).Do("POST", "/api/search/orders", `{}`).Expect(t, http.StatusOK)
	if r.Raw != `{"orders":[],"next":null}`+"\n" || !reflect.DeepEqual(f.got, search.Request{}) {
		t.Fatalf("body %s, request %+v", r.Raw, f.got)
	}
}

// A bad filter is a 400 whose message names it.
func TestABadFilterIsA400NamingIt(t *testing.T) {
	api := searchAPI(t, &fakeSearch{})
	for body, says := range map[string]string{
		`{"status":"cancelled"}`:                  `status: unknown status "cancelled"`,
		`{"customerId":"42"}`:                     `customerId: must be a UUID, got "42"`,
		`{"storeIds":["` + storeID + `","nope"]}`: `storeIds[1]: must be a UUID`,
		`{"createdAfter":"yesterday"}`:            `createdAfter: must be an RFC 3339 time`,
		`{"createdAfter":"2026-02-01T00:00:00Z","createdBefore":"2026-01-01T00:00:00Z"}`: `createdAfter: 2026-02-01T00:00:00Z is later than createdBefore`,
		`{"minTotal":10,"maxTotal":9.99}`:                                                `minTotal: 10.00 is more than maxTotal 9.99`,
		`{"limit":101}`:                                                                  `limit: must be between 1 and 100, got 101`,
		`{"limit":0}`:                                                                    `limit: must be between 1 and 100, got 0`,
		`{"cursor":"%%%"}`:                                                               `cursor: malformed`,
		`{"statuses":["ready"]}`:                                                         `unknown field "statuses"`,
		`{"minTotal":"9.99"}`:                                                            `field "minTotal"`,
		`{"minTotal":9.999}`:                                                             `at most 2 decimal places`,
		`{"storeIds":"` + storeID + `"}`:                                                 `field "storeIds"`,
	} {
		r := api.Do("POST", "/api/search/orders", body)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.S("message"), says) || r.S("code") == "" {
			t.Errorf("%s: want 400 saying %q, got %d %s", body, says, r.Status, r.Raw)
		}
	}
}

func TestEveryBadFilterIsNamedAtOnce(t *testing.T) {
	r := searchAPI(t, &fakeSearch{}).Do("POST", "/api/search/orders", `{"createdBefore":"soon","status":"lost","limit":0}`)
	r.Expect(t, http.StatusBadRequest)
	for _, field := range []string{"createdBefore:", "status:", "limit:"} {
		if !strings.Contains(r.S("message"), field) {
			t.Errorf("message %q does not name %s", r.S("message"), field)
		}
	}
}

func TestAnOrderIsFoundByItsID(t *testing.T) {
	api := searchAPI(t, &fakeSearch{page: search.Page{Orders: []search.Order{anOrder}}})
	r := api.Do("GET", "/api/search/orders/"+orderID, nil).Expect(t, http.StatusOK)
	if r.S("id") != orderID || r.S("customerName") != "John Smith" || r.N("total") != 19.98 || r.N("version") != 3 {
		t.Fatalf("unexpected order %s", r.Raw)
	}
	api.Do("GET", "/api/search/orders/"+customerID, nil).Expect(t, http.StatusNotFound)
}

func TestAnOrderWithAnUnknownCreationTimeHasANullCreatedAt(t *testing.T) {
	o := anOrder
	o.CreatedAt = time.Time{}
	r := searchAPI(t, &fakeSearch{page: search.Page{Orders: []search.Order{o}}}).Do("GET", "/api/search/orders/"+orderID, nil).Expect(t, http.StatusOK)
	if !strings.Contains(r.Raw, `"createdAt":null`) {
		t.Fatalf("body %s", r.Raw)
	}
}

func TestWithoutASearchTheRoutesAnswer503(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{})))
	t.Cleanup(srv.Close)
	api := testkit.API{T: t, Transport: checked, Base: srv.URL, Token: httpapi.OperatorToken}
	api.Do("POST", "/api/search/orders", `{}`).Expect(t, http.StatusServiceUnavailable)
	api.Do("GET", "/api/search/orders/"+orderID, nil).Expect(t, http.StatusServiceUnavailable)
}
