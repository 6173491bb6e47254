package system_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/topics"
)

type operationsReport struct {
	Components []struct {
		Name  string `json:"name"`
		Ready bool   `json:"ready"`
	} `json:"components"`
	Groups      []groupStatus `json:"groups"`
	Projections []struct {
		Name string `json:"name"`
	} `json:"projections"`
	DeadLetters []struct {
		Offset int64  `json:"offset"`
		Reason string `json:"reason"`
		Source string `json:"source"`
	} `json:"deadLetters"`
	Throughput []struct {
		Records map[string]float64 `json:"records"`
	} `json:"throughput"`
}

type groupStatus struct {
	Group      string `json:"group"`
	Members    int    `json:"members"`
	Error      string `json:"error"`
	Partitions []struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Owner     string `json:"owner"`
	} `json:"partitions"`
}

func operations(t *testing.T) operationsReport {
	t.Helper()
	var rep operationsReport
	r := api(t).Do("GET", "/api/operations", nil).Expect(t, 200)
	if err := json.Unmarshal([]byte(r.Raw), &rep); err != nil {
		t.Fatalf("%v: %s", err, r.Raw)
	}
	return rep
}

// The operators' page sees every processor group of the catalogue with
// every partition of its inputs, each owned by a member of this instance,
// every component ready and every projection; and what the system set
// aside shows among the dead letters, with its reason and its source.
func TestTheOperationsReportShowsEveryGroupsPartitionsAndTheDeadLetters(t *testing.T) {
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		rep := operations(t)
		for _, f := range topics.GroupFlows() {
			i := slices.IndexFunc(rep.Groups, func(g groupStatus) bool { return g.Group == f.Group })
			if i < 0 {
				return false, f.Group + " is missing"
			}
			g := rep.Groups[i]
			want := 0
			for _, in := range f.Inputs {
				tp, _ := topics.ByName(in)
				want += int(tp.Partitions)
			}
			if g.Error != "" || g.Members == 0 || len(g.Partitions) != want {
				return false, f.Group + ": " + g.Error + ", partitions " + strconv.Itoa(len(g.Partitions)) + " of " + strconv.Itoa(want)
			}
			for _, p := range g.Partitions {
				if !strings.HasPrefix(p.Owner, "mallbots-") {
					return false, f.Group + ": " + p.Topic + "/" + strconv.Itoa(int(p.Partition)) + " is owned by " + p.Owner
				}
			}
		}
		for _, c := range rep.Components {
			if !c.Ready {
				return false, c.Name + " is not ready"
			}
		}
		return len(rep.Components) > 0 && len(rep.Projections) > 0, "no components or projections"
	})

	// A record nobody can decode, sent as an external producer may.
	cl, err := kgo.NewClient(kafkaAs(t, topics.RoleExternal)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	poison := &kgo.Record{Topic: topics.Stores.Commands.Name, Key: []byte("operations-test"), Value: []byte("not avro")}
	if err := cl.ProduceSync(context.Background(), poison).FirstErr(); err != nil {
		t.Fatal(err)
	}
	source := poison.Topic + "/" + strconv.Itoa(int(poison.Partition)) + "@" + strconv.Itoa(int(poison.Offset))
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		for _, d := range operations(t).DeadLetters {
			if strings.HasPrefix(d.Source, source+" ") {
				return d.Reason != "", "the dead letter has no reason"
			}
		}
		return false, "no dead letter from " + source
	})
}

// Throughput is the growth of the groups' committed offsets between
// samples: commands sent show as records per second of their group.
func TestTheOperationsReportMeasuresEachGroupsThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("samples are 5 s apart")
	}
	operations(t)
	for range 3 {
		createStore(t, "Throughput Store")
	}
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		for _, s := range operations(t).Throughput {
			if s.Records["mallbots.stores"] > 0 {
				return true, ""
			}
		}
		return false, "no sample shows mallbots.stores at work"
	})
}

// The console's charts are the cookbook's queries, run as the analyst.
func TestTheAnalyticsRoutesRunTheCookbook(t *testing.T) {
	analyst := testkit.API{T: t, Base: "http://" + sys.HTTPAddr(), Token: tokenFor(t, auth.Principal{Role: auth.Analyst})}
	list := analyst.Do("GET", "/api/analytics", nil).Expect(t, 200)
	names := map[string]bool{}
	for _, q := range list.List {
		names[q["name"].(string)] = q["title"] != ""
	}
	for _, want := range []string{"sales_by_store_and_day", "top_products", "basket_funnel", "order_lifecycle_durations", "saga_rejection_reasons"} {
		if !names[want] {
			t.Errorf("GET /api/analytics has no titled %s: %s", want, list.Raw)
		}
	}
	funnel := analyst.Do("GET", "/api/analytics/basket_funnel", nil).Expect(t, 200)
	cols, _ := funnel.Body["columns"].([]any)
	rows, _ := funnel.Body["rows"].([]any)
	if len(cols) == 0 || cols[0] != "started" || len(rows) != 1 {
		t.Errorf("basket_funnel: %s", funnel.Raw)
	}
	analyst.Do("GET", "/api/analytics/orders_by_status_at", nil).ExpectError(t, 400,
		"query orders_by_status_at: parameter instant is missing: give it as ?instant=2026-12-07T12:00:00Z")
	at := analyst.Do("GET", "/api/analytics/orders_by_status_at?instant="+time.Now().UTC().Format(time.RFC3339), nil).Expect(t, 200)
	if cols, _ := at.Body["columns"].([]any); len(cols) != 2 {
		t.Errorf("orders_by_status_at: %s", at.Raw)
	}
	analyst.Do("GET", "/api/analytics/drop_table", nil).ExpectError(t, 404, "the cookbook has no query named drop_table: GET /api/analytics lists them")
}
