package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/auth"
)

func TestTheOperationsPageListsEveryGroupsPartitions(t *testing.T) {
	report := api(t).Do("GET", "/api/operations", nil).Expect(t, 200)
	groups, _ := report.Body["groups"].([]any)
	if len(groups) == 0 {
		t.Fatalf("the API reports no group: %s", report.Raw)
	}
	tb := openTab(t, laptop, 40*time.Second)
	tb.signIn(tokenFor(t, auth.Principal{Role: auth.Operator}))
	tb.goTo("/console/operations")
	tb.waitFor("the page follows the live report", `document.querySelector('#ops-live').dataset.state === 'open'`, `document.querySelector('#ops-live').textContent`, 10*time.Second)
	for _, g := range groups {
		g := g.(map[string]any)
		name := g["group"].(string)
		parts, _ := g["partitions"].([]any)
		if len(parts) == 0 {
			t.Fatalf("the API reports group %s without partitions: %s", name, report.Raw)
		}
		rows := fmt.Sprintf(`document.querySelectorAll('.group[data-group="%s"] tbody tr').length`, name)
		tb.waitFor("the page lists every partition of "+name, fmt.Sprintf(`%s === %d`, rows, len(parts)), rows, 5*time.Second)
		first := parts[0].(map[string]any)
		owner := fmt.Sprintf(`document.querySelector('.group[data-group="%s"] tbody tr[data-topic="%s"][data-partition="%v"] td:nth-child(3)')?.textContent`, name, first["topic"], first["partition"])
		if got := eval[string](tb, `String(`+owner+`)`); got == "" || got == "undefined" || got == "—" {
			t.Errorf("group %s: partition %v of %v shows no owner (%q)", name, first["partition"], first["topic"], got)
		}
	}
	ready := `[...document.querySelectorAll('#components li')].every(li => li.classList.contains('ready')) && document.querySelectorAll('#components li').length`
	tb.waitFor("every component is shown ready", ready+` > 0`, `document.querySelector('#components').innerText`, 5*time.Second)
	tb.waitFor("the throughput chart is drawn", `document.querySelector('#throughput canvas') !== null`, `document.querySelector('#throughput').innerText`, 10*time.Second)
	tb.shot("operations")
}
