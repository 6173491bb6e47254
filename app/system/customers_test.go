package system_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	contractcustomers "github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/views/warehouse"
)

// registerCustomer registers a customer through the API and returns its id.
func registerCustomer(t *testing.T, name string) string {
	t.Helper()
	return api(t).Do("POST", "/api/customers", map[string]any{"name": name, "smsNumber": "555-0100"}).Expect(t, http.StatusCreated).S("id")
}

// sendAndWaitFor sends a command the way a policy or the saga does (not
// through the API) and returns its result.
func sendAndWaitFor(t *testing.T, cmd schemas.Command) schemas.CommandResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := sys.Commands().SendAndWait(ctx, cmd)
	if err != nil {
		t.Fatalf("send %T: %v", cmd, err)
	}
	return res
}

// Reference scenario 4.
func TestRegisteringCustomerJohnSmithSucceeds(t *testing.T) {
	r := api(t).Do("POST", "/api/customers", map[string]any{"name": "John Smith", "smsNumber": "555-0100"}).Expect(t, http.StatusCreated)
	if _, err := uuid.Parse(r.S("id")); err != nil || r.N("version") != 1 {
		t.Fatalf("want a new id and version 1: %s", r.Raw)
	}
	// Read-your-writes: the customer is there, enabled, as soon as the write returned.
	got := api(t).Do("GET", "/api/customers/"+r.S("id"), nil).Expect(t, http.StatusOK)
	if got.S("id") != r.S("id") || got.S("name") != "John Smith" || got.S("smsNumber") != "555-0100" || got.Body["enabled"] != true || got.N("version") != 1 {
		t.Fatalf("unexpected customer %s", got.Raw)
	}
}

func TestEveryCustomerRuleAnswersWithItsTextAndStatus(t *testing.T) {
	a := api(t)
	missing := uuid.NewString()
	a.Do("POST", "/api/customers", map[string]any{"name": " ", "smsNumber": "555-0100"}).ExpectError(t, 400, "the customer name cannot be blank")
	a.Do("POST", "/api/customers", map[string]any{"name": "Jane Doe", "smsNumber": ""}).ExpectError(t, 400, "the SMS number cannot be blank")
	id := registerCustomer(t, "Jane Doe")
	a.Do("POST", "/api/customers", map[string]any{"id": id, "name": "Jane Doe", "smsNumber": "555-0100"}).ExpectError(t, 400, "the customer already exists")

	a.Do("PUT", "/api/customers/"+id+"/enable", nil).ExpectError(t, 400, "the customer is already enabled")
	if r := a.Do("PUT", "/api/customers/"+id+"/disable", nil).Expect(t, 200); r.N("version") != 2 || r.S("id") != id {
		t.Fatalf("want version 2: %s", r.Raw)
	}
	a.Do("PUT", "/api/customers/"+id+"/disable", nil).ExpectError(t, 400, "the customer is already disabled")
	if got := a.Do("GET", "/api/customers/"+id, nil).Expect(t, 200); got.Body["enabled"] != false {
		t.Fatalf("want a disabled customer: %s", got.Raw)
	}
	a.Do("PUT", "/api/customers/"+id+"/enable", nil).Expect(t, 200)

	a.Do("PUT", "/api/customers/"+id+"/change-sms", map[string]any{"smsNumber": " "}).ExpectError(t, 400, "the SMS number cannot be blank")
	a.Do("PUT", "/api/customers/"+id+"/change-sms", map[string]any{"smsNumber": "555-0199"}).Expect(t, 200)
	if got := a.Do("GET", "/api/customers/"+id, nil).Expect(t, 200); got.S("smsNumber") != "555-0199" || got.Body["enabled"] != true || got.N("version") != 4 {
		t.Fatalf("unexpected customer %s", got.Raw)
	}

	for _, route := range []string{"/enable", "/disable"} {
		a.Do("PUT", "/api/customers/"+missing+route, nil).ExpectError(t, 404, "the customer does not exist")
	}
	a.Do("PUT", "/api/customers/"+missing+"/change-sms", map[string]any{"smsNumber": "1"}).ExpectError(t, 404, "the customer does not exist")
	a.Do("GET", "/api/customers/"+missing, nil).ExpectError(t, 404, "the customer does not exist")
	if r := a.Do("POST", "/api/customers", map[string]any{"name": "X", "smsNumber": "1", "sms": "1"}); r.Status != 400 || r.S("code") != "bad_request" {
		t.Fatalf("an unknown field must be refused: %s", r.Raw)
	}
	if r := a.Do("PUT", "/api/customers/"+id+"/change-sms", `{"smsNumber": 5}`); r.Status != 400 {
		t.Fatalf("a malformed body must be refused: %s", r.Raw)
	}
}

// AuthorizeCustomer is the saga's first step: an enabled customer is
// authorized (an event), a disabled one is refused as unauthorized.
func TestAuthorizingACustomerForAnOrder(t *testing.T) {
	id := registerCustomer(t, "Saga Shopper")
	authorize := func() schemas.CommandResult {
		cmd := &contractcustomers.AuthorizeCustomer{}
		cmd.AggregateID = id
		return sendAndWaitFor(t, cmd)
	}
	if res := authorize(); !res.Accepted || res.Version != 2 || len(res.EventIDs) != 1 {
		t.Fatalf("an enabled customer must be authorized: %+v", res)
	}
	api(t).Do("PUT", "/api/customers/"+id+"/disable", nil).Expect(t, 200)
	if res := authorize(); res.Accepted || res.Message != "customer is not authorized" || res.Kind != "unauthorized" || res.Version != 3 {
		t.Fatalf("a disabled customer must not be authorized: %+v", res)
	}
	unknown := &contractcustomers.AuthorizeCustomer{}
	unknown.AggregateID = uuid.NewString()
	if res := sendAndWaitFor(t, unknown); res.Accepted || res.Message != "the customer does not exist" || res.Kind != "not_found" {
		t.Fatalf("an unknown customer: %+v", res)
	}
}

func TestARegisteredCustomerAppearsInClickHouse(t *testing.T) {
	id := registerCustomer(t, "Warehouse Customer")
	api(t).Do("PUT", "/api/customers/"+id+"/change-sms", map[string]any{"smsNumber": "555-0142"}).Expect(t, 200)
	conn := clickhouseConn(t)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var name, sms string
		var enabled uint8
		var version uint64
		err := conn.QueryRow(context.Background(),
			"SELECT name, sms_number, enabled, version FROM mallbots.customers FINAL WHERE id = ?", id).Scan(&name, &sms, &enabled, &version)
		return err == nil && name == "Warehouse Customer" && sms == "555-0142" && enabled == 1 && version == 2,
			fmt.Sprintf("customer row: %q %q %d v%d %v", name, sms, enabled, version, err)
	})
	expectColumns(t, warehouse.CustomersTable)
}

// expectColumns checks that a table's migrated columns are the ones Go
// declares, in order (the projector's inserts follow the Go list).
func expectColumns(t *testing.T, table warehouse.Table) {
	t.Helper()
	got := chtest.Columns(t, clickhouseConn(t), table.Name)
	if !slices.Equal(got, table.Columns) {
		t.Fatalf("mallbots.%s has columns %v, Go declares %v", table.Name, got, table.Columns)
	}
}
