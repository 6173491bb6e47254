package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
)

// newCustomer registers a customer over the API.
func newCustomer(t *testing.T, name string) string {
	t.Helper()
	return api(t).Do("POST", "/api/customers", map[string]any{"name": name, "smsNumber": "+15550101"}).Expect(t, 201).S("id")
}

// orderThroughTheAPI places an order of 2 wizards for the customer over
// the API and waits until it reaches status; it answers the order's id.
func orderThroughTheAPI(t *testing.T, customer, status string) string {
	t.Helper()
	m := theMall(t)
	a := api(t)
	basket := a.Do("POST", "/api/baskets", map[string]any{"customerId": customer}).Expect(t, 201).S("id")
	a.Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": m.wizard, "quantity": 2}).Expect(t, 200)
	payment := a.Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": 19.96}).Expect(t, 201).S("id")
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": payment}).Expect(t, 200)
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		r := a.Do("GET", "/api/ordering/"+basket, nil)
		return r.Status == 200 && r.S("status") == status, fmt.Sprintf("order %s: %d %s", basket, r.Status, r.Raw)
	})
	return basket
}

func TestTheExplorerShowsAnOrdersEventsAndItsStateAtAnEarlierInstant(t *testing.T) {
	order := orderThroughTheAPI(t, newCustomer(t, "Explorer Shopper"), "ready")
	tb := openTab(t, laptop, 45*time.Second)
	tb.signIn(tokenFor(t, auth.Principal{Role: auth.Analyst}))
	tb.goTo("/console/explorer?type=order&id=" + order)

	events := `[...document.querySelectorAll('#events tbody tr td:nth-child(2) button')].map(b => b.textContent).join(',')`
	tb.waitFor("the stream shows the order's events", events+` === 'OrderCreated,OrderApproved,OrderReadied'`,
		events+` + ' ' + document.querySelector('#explorer-error').textContent`, 20*time.Second)
	state := `document.querySelector('#state').textContent`
	tb.waitFor("the state now is ready at version 3", `document.querySelector('#stream').dataset.version === '3' && `+state+`.includes('"status": "ready"')`, state, 10*time.Second)
	// Each event shows its payload and its hash, the hash's title naming
	// the one before it: the chain of ADR 0021, link by link.
	hashes := `[...document.querySelectorAll('#events tbody tr td:nth-child(6) code')].map(c => c.title)`
	linked := `(() => { const t = ` + hashes + `.map(s => s.split(' ')); return t.length === 3 && t.every((x, i) => x[x.length-1].length === 64 && (i === 0 ? x.length === 1 : x[0] === 'after' && x[1] === t[i-1][t[i-1].length-1])); })()`
	tb.waitFor("each event shows its hash after its predecessor's", linked, hashes+`.join(' | ')`, 10*time.Second)
	if got := eval[int](tb, `document.querySelectorAll('#events tbody tr details pre.json').length`); got != 3 {
		t.Errorf("%d of the 3 events show their payload", got)
	}
	tb.shot("explorer")

	// Back to the first instant with the keyboard, as a user moves a slider.
	tb.do("move the slider to the first instant", chromedp.Focus(chromedp.CSS("#instant")), chromedp.KeyEvent(kb.Home))
	tb.waitFor("the state at the first instant is the created order", `document.querySelector('#stream').dataset.version === '1' && `+state+`.includes('"status": "pending"')`,
		`document.querySelector('#stream').dataset.version + ' ' + `+state, 10*time.Second)
	// One step on: what the approval changed is highlighted.
	tb.do("move the slider one instant on", chromedp.KeyEvent(kb.ArrowRight))
	changed := `[...document.querySelectorAll('#diff tbody tr.changed')].map(r => r.innerText.replace(/\s+/g, ' ')).join(' | ')`
	tb.waitFor("the diff shows the status going from pending to approved", `document.querySelector('#stream').dataset.version === '2' && `+changed+`.includes('status "pending" "approved"')`,
		changed, 10*time.Second)
	if got := eval[int](tb, `document.querySelectorAll('#events tbody tr.future').length`); got != 1 {
		t.Errorf("at version 2, %d events are marked as still to come, want 1", got)
	}
}
