package main_test

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
)

// The reference application's acceptance scenarios (docs/domain.md), and the
// happy path the reference never reached, against `mallbots run`.
func TestTheReferenceScenariosAndTheHappyPathAgainstMallbotsRun(t *testing.T) {
	in := startInstance(t)
	a := in.api()

	// The web console is served at the API's address, and run says where.
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return in.countLog("Web console: http://"+in.http+"/ ") == 1, "run printed no console address"
	})
	page, err := http.Get("http://" + in.http + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / answers %d %s, want the console's sign-in page", page.StatusCode, page.Header.Get("Content-Type"))
	}

	// 1. Creating a store called "Waldorf Books" succeeds.
	waldorf := a.Do("POST", "/api/stores", map[string]any{"name": "Waldorf Books", "location": "Level 1"}).Expect(t, http.StatusCreated).S("id")
	// 2. Creating a store called "" fails with "the store name cannot be blank".
	a.Do("POST", "/api/stores", map[string]any{"name": "", "location": "Level 1"}).ExpectError(t, http.StatusBadRequest, "the store name cannot be blank")
	// 3. Given store "Nic & Naks" exists, creating product "Wizard w/ crystal" priced 9.98 succeeds.
	nic := a.Do("POST", "/api/stores", map[string]any{"name": "Nic & Naks", "location": "Level 2"}).Expect(t, http.StatusCreated).S("id")
	a.Do("POST", "/api/stores/"+nic+"/products", map[string]any{"name": "Wizard w/ crystal", "price": 9.98}).Expect(t, http.StatusCreated)
	// 4. Registering customer "John Smith" succeeds: at a kiosk, which
	// gets John's token; John shops with it from here on.
	registered := a.As(in.token("--role", "kiosk")).Do("POST", "/api/customers", map[string]any{"name": "John Smith", "smsNumber": "+15550100"}).Expect(t, http.StatusCreated)
	john, shopper := registered.S("id"), a.As(registered.S("token"))
	a.As("").Do("GET", "/api/customers/"+john, nil).Expect(t, http.StatusUnauthorized)
	shopper.Do("GET", "/api/customers/"+john, nil).Expect(t, http.StatusOK)
	// 5. A registered customer can start a basket.
	basket := shopper.Do("POST", "/api/baskets", map[string]any{"customerId": john}).Expect(t, http.StatusCreated).S("id")
	// 6. Given a store with "Wizard w/ crystal" at 9.99, adding 10 of it to an open basket succeeds.
	a.Do("PUT", "/api/stores/"+waldorf+"/participating", nil).Expect(t, http.StatusOK)
	wizard := a.Do("POST", "/api/stores/"+waldorf+"/products", map[string]any{"name": "Wizard w/ crystal", "price": 9.99}).Expect(t, http.StatusCreated).S("id")
	shopper.Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": wizard, "quantity": 10}).Expect(t, http.StatusOK)
	// 7. Adding a product that does not exist fails with "product fallback failed: product was not located".
	shopper.Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": "4d1f4b7e-2b1e-4a6c-9a61-1b2c3d4e5f60", "quantity": 1}).
		ExpectError(t, http.StatusNotFound, "product fallback failed: product was not located")

	// The happy path: authorize, check out, the bots collect, pay at pickup.
	payment := shopper.Do("POST", "/api/payments", map[string]any{"customerId": john, "amount": 99.90}).Expect(t, http.StatusCreated).S("id")
	shopper.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": payment}).Expect(t, http.StatusOK)
	order := basket
	for _, status := range []string{"ready"} {
		testkit.Eventually(t, 60*time.Second, func() (bool, string) {
			r := shopper.Do("GET", "/api/ordering/"+order, nil)
			return r.S("status") == status, r.Raw
		})
	}
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		r := shopper.Do("GET", "/api/payments/invoices/"+order, nil)
		return r.Status == http.StatusOK && r.N("amount") == 99.9, r.Raw
	})
	shopper.Do("PUT", "/api/payments/invoices/"+order+"/pay", nil).Expect(t, http.StatusOK)
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		r := a.Do("GET", "/api/ordering/"+order, nil)
		return r.S("status") == "completed", r.Raw
	})

	// Shoppers in numbers: every order ends completed, rejected or
	// canceled, and the load generator's summary equals ClickHouse's counts.
	load := exec.Command(binary, "load", "--api", "http://"+in.http, "--clickhouse", in.ch, "--data-dir", in.dataDir, "--shoppers", "300", "--rate", "60", "--seed", "7")
	out, err := load.CombinedOutput()
	if err != nil {
		t.Fatalf("mallbots load: %v\n%s", err, out)
	}
	for _, want := range []string{"not finished       0", "ClickHouse agrees with the summary."} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("mallbots load did not say %q:\n%s", want, out)
		}
	}
	t.Logf("mallbots load:\n%s", out[strings.Index(string(out), "Summary"):])
	in.stop()
}
