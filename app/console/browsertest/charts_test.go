package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
)

// barPixels counts the pixels of a chart's canvas in the first series'
// colour (#1f5f8b, charts.js): its bars. Axes, grid and labels are grey or
// black, so a chart without data has none.
const barPixels = `(sel => { const c = document.querySelector(sel + ' canvas'); if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 128) continue;
    if (Math.abs(d[i] - 0x1f) < 24 && Math.abs(d[i + 1] - 0x5f) < 24 && Math.abs(d[i + 2] - 0x8b) < 24) n++;
  }
  return n; })`

func TestAChartRendersTheCookbooksFigures(t *testing.T) {
	// A completed order, so that every figure of a sale has data.
	order := orderThroughTheAPI(t, newCustomer(t, "Charted Shopper"), "ready")
	a := api(t)
	testkit.Eventually(t, 15*time.Second, func() (bool, string) { // the invoice follows the order's readiness
		r := a.Do("PUT", "/api/payments/invoices/"+order+"/pay", nil)
		return r.Status == 200, r.Raw
	})
	testkit.Eventually(t, 20*time.Second, func() (bool, string) { // the warehouse has the completed sale
		r := a.Do("GET", "/api/analytics/top_products", nil)
		return r.Status == 200 && len(r.Body["rows"].([]any)) > 0, r.Raw
	})

	tb := openTab(t, laptop, 40*time.Second)
	tb.signIn(tokenFor(t, auth.Principal{Role: auth.Analyst}))
	tb.goTo("/console/orders")
	for _, name := range []string{"sales_by_store_and_day", "top_products", "basket_funnel", "order_lifecycle_durations"} {
		slot := fmt.Sprintf(`.chart-slot[data-name="%s"]`, name)
		tb.waitFor(name+" is drawn from rows", fmt.Sprintf(`Number(document.querySelector('%s')?.dataset.rows) > 0 && Number(document.querySelector('%s figure')?.dataset.points) > 0`, slot, slot),
			fmt.Sprintf(`(document.querySelector('%s')?.innerText ?? 'no slot') + ' ' + document.querySelector('#analytics-error').textContent`, slot), 15*time.Second)
	}
	// The top products' bars are on the canvas.
	top := `.chart-slot[data-name="top_products"]`
	tb.waitFor("the top products' bars are drawn", barPixels+`('`+top+`') > 500`, barPixels+`('`+top+`')`, 10*time.Second)
	if got := tb.text(top + ` figcaption`); got != "Top products (units sold)" {
		t.Errorf("the top products' chart is captioned %q", got)
	}
	tb.do("scroll to the charts", chromedp.ScrollIntoView(chromedp.CSS("#charts")))
	tb.shot("analytics")
}
