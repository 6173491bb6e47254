package browsertest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
)

// tokenFor signs a token with the system's embedded issuer, as
// `mallbots token --role ROLE` does.
func tokenFor(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, err := sys.Issuer().Issue(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// api is the operator's client of the system's API, for building the mall
// a test then uses through the browser.
func api(t *testing.T) testkit.API {
	return testkit.API{T: t, Base: "http://" + sys.HTTPAddr(), Token: tokenFor(t, auth.Principal{Role: auth.Operator}), Retries: 2}
}

// catalogue is the mall the tests shop in.
type catalogue struct {
	store, otherStore string
	wizard, dragon    string // products of store
	scroll            string // a product of otherStore
}

var (
	mallOnce sync.Once
	mall     catalogue
)

// theMall creates two participating stores with products, once.
func theMall(t *testing.T) catalogue {
	mallOnce.Do(func() {
		a := api(t)
		mall.store = a.Do("POST", "/api/stores", map[string]any{"name": "Waldorf Books", "location": "Level 1"}).Expect(t, 201).S("id")
		mall.otherStore = a.Do("POST", "/api/stores", map[string]any{"name": "Statler Scrolls", "location": "Level 2"}).Expect(t, 201).S("id")
		for _, s := range []string{mall.store, mall.otherStore} {
			a.Do("PUT", "/api/stores/"+s+"/participating", nil).Expect(t, 200)
		}
		product := func(store, name, sku string, price float64) string {
			return a.Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": name, "description": "a " + name, "sku": sku, "price": price}).Expect(t, 201).S("id")
		}
		mall.wizard = product(mall.store, "Wizard w/ crystal", "WZ-1", 9.98)
		mall.dragon = product(mall.store, "Dragon in a box", "DR-1", 24.50)
		mall.scroll = product(mall.otherStore, "Scroll of speed", "SC-1", 3.25)
	})
	if mall.scroll == "" {
		t.Fatal("the mall could not be built (see the first test that tried)")
	}
	return mall
}

// shopAtTheKiosk takes a new customer through the kiosk on tab: the kiosk
// registers them, they put 2 wizards and a scroll in the basket, remove
// nothing, and check out. It answers the order's id.
func shopAtTheKiosk(t *testing.T, tb *tab, name string) string {
	t.Helper()
	m := theMall(t)
	tb.signIn(tokenFor(t, auth.Principal{Role: auth.Kiosk}))
	if got := tb.text("#claim-role"); got != "kiosk" {
		t.Fatalf("the sign-in page decoded the role %q, want kiosk", got)
	}
	tb.shot("signin")
	tb.goTo("/console/kiosk")
	tb.do("register", waitVisible("#register-form"), setValue("#customer-name", name), setValue("#customer-sms", "+15550100"),
		click("#register-form button[type=submit]"), waitVisible("#shop"))
	if got := tb.text("#who-role"); got != "customer" {
		t.Fatalf("after registering, the page goes on as %q, want customer", got)
	}
	tb.shot("kiosk-stores")
	tb.click(fmt.Sprintf(`#stores button[data-id="%s"]`, m.store))
	tb.click(fmt.Sprintf(`#products button.add[data-product="%s"]`, m.wizard))
	tb.waitFor("the basket shows a wizard", `document.querySelector('#basket tbody tr[data-product="`+m.wizard+`"] td.qty')?.textContent === '1'`, `document.querySelector('#basket').innerText`, 10*time.Second)
	tb.click(fmt.Sprintf(`#products button.add[data-product="%s"]`, m.wizard))
	tb.waitFor("the basket shows 2 wizards", `document.querySelector('#basket tbody tr[data-product="`+m.wizard+`"] td.qty')?.textContent === '2'`, `document.querySelector('#basket').innerText`, 10*time.Second)
	tb.click(fmt.Sprintf(`#stores button[data-id="%s"]`, m.otherStore))
	tb.click(fmt.Sprintf(`#products button.add[data-product="%s"]`, m.scroll))
	tb.waitFor("the basket's total is 2 × 9.98 + 3.25", `document.querySelector('#basket-total').textContent === '23.21'`, `document.querySelector('#basket').innerText`, 10*time.Second)
	tb.shot("kiosk-basket")
	tb.click("#checkout")
	tb.waitFor("the order is tracked", `!document.querySelector('#track').hidden && document.querySelector('#order-id').textContent !== ''`,
		`document.querySelector('#basket-error').textContent`, 15*time.Second)
	return tb.text("#order-id")
}

func TestAShopperCompletesAnOrderAtTheKiosk(t *testing.T) {
	tb := openTab(t, kiosk, 55*time.Second)
	order := shopAtTheKiosk(t, tb, "Kiosk Shopper")

	describe := `document.querySelector('#order-status').textContent + ' | ' + document.querySelector('#saga-step').textContent + ' | ' + document.querySelector('#live-status').textContent`
	tb.waitFor("the saga approves the order and a bot collects it", `document.querySelector('#order-status').dataset.status === 'ready'`, describe, 30*time.Second)
	if got := tb.text(`#timeline [data-step="approved"]`); got == "" || eval[string](tb, `document.querySelector('#timeline [data-step="approved"]').className`) != "done" {
		t.Fatalf("the timeline does not show the order approved: %q", got)
	}
	if got := eval[string](tb, `document.querySelector('#live-status').dataset.state`); got != "open" {
		t.Fatalf("the order is not followed over the live stream: %q (%s)", got, tb.text("#live-status"))
	}
	stops := `[...document.querySelectorAll('#stops > li > strong')].map(s => s.textContent).sort().join(',')`
	tb.waitFor("the bot's stops are shown", stops+` === 'Statler Scrolls,Waldorf Books'`, stops, 10*time.Second)
	tb.shot("kiosk-ready")
	tb.click("#pay")
	tb.waitFor("paid at pickup, the order completes", `document.querySelector('#order-status').dataset.status === 'completed'`,
		describe+` + ' | ' + document.querySelector('#pay-error').textContent`, 20*time.Second)
	if got := eval[string](tb, `document.querySelector('#timeline [data-step="completed"]').className`); got != "done" {
		t.Fatalf("the timeline's last step is %q, want done", got)
	}
	kinds := `[...document.querySelectorAll('#notifications li[data-kind]')].map(n => n.dataset.kind).sort().join(',')`
	tb.waitFor("the messages sent are shown", kinds+` === 'order_completed,order_ready,order_received'`, kinds, 15*time.Second)
	tb.shot("kiosk-completed")

	// The API agrees: the order the page shows as completed is completed,
	// with what the shopper put in the basket.
	o := api(t).Do("GET", "/api/ordering/"+order, nil).Expect(t, 200)
	if o.S("status") != "completed" || o.N("total") != 23.21 {
		t.Fatalf("the API's order %s: %s", order, o.Raw)
	}
}
