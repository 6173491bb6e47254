package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
)

func TestAnAnalystPagesThroughTheOrderSearchAndOpensAResultInTheExplorer(t *testing.T) {
	customer := newCustomer(t, "Searched Shopper")
	first := orderThroughTheAPI(t, customer, "ready")
	second := orderThroughTheAPI(t, customer, "ready")
	testkit.Eventually(t, 15*time.Second, func() (bool, string) { // ClickHouse has both
		r := api(t).Do("POST", "/api/search/orders", map[string]any{"customerId": customer, "status": "ready"})
		return r.Status == 200 && strings.Contains(r.Raw, first) && strings.Contains(r.Raw, second), r.Raw
	})

	tb := openTab(t, laptop, 40*time.Second)
	tb.signIn(tokenFor(t, auth.Principal{Role: auth.Analyst}))
	tb.goTo("/console/orders")
	tb.do("search one order a page", waitVisible("#search-form"),
		setValue(`#search-form input[name=customerId]`, customer), setValue(`#search-form select[name=status]`, "ready"),
		setValue(`#search-form input[name=limit]`, "1"), click(`#search-form button[type=submit]`))
	rows := `[...document.querySelectorAll('#results tbody tr[data-id]')].map(r => r.dataset.id).join(',')`
	// Newest first: the second order, then the first on the next page.
	tb.waitFor("the first page shows the newest order", rows+` === '`+second+`'`, rows+` + ' ' + document.querySelector('#search-error').textContent`, 10*time.Second)
	if got := tb.text(`#results tbody tr[data-id="` + second + `"] td:nth-child(3)`); got != "2 × Wizard w/ crystal (Waldorf Books)" {
		t.Errorf("the result's items read %q", got)
	}
	tb.shot("orders")
	tb.click("#next-page")
	tb.waitFor("the next page shows the older order", rows+` === '`+first+`' && document.querySelector('#next-page').disabled`, rows, 10*time.Second)
	tb.click("#first-page")
	tb.waitFor("the first page again", rows+` === '`+second+`'`, rows, 10*time.Second)

	tb.click(fmt.Sprintf(`#results tr[data-id="%s"] a`, second))
	tb.do("wait for the explorer", waitVisible("#stream")) // a poll does not outlive the navigation
	tb.waitFor("the explorer opens the order", `location.pathname === '/console/explorer' && document.querySelector('#stream-name')?.textContent === 'order `+second+`'`,
		`location.href + ' ' + (document.querySelector('#stream-name')?.textContent ?? '')`, 15*time.Second)
}
