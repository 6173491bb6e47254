package metrics_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/platform/metrics/metricstest"
)

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// registered lists the metric names m can export: every descriptor of its
// registry, with a franz-go client hooked so that kprom registers its own.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New()
	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:1"), kgo.WithHooks(m.Kafka("test")))
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	m.WatchGroupLag(nil, "mallbots.", nil)
	m.WatchProjections(nil, nil)
	ch := make(chan *prometheus.Desc, 1024)
	m.Registry().Describe(ch)
	close(ch)
	names := map[string]bool{}
	for d := range ch {
		if sm := fqName.FindStringSubmatch(d.String()); sm != nil {
			names[sm[1]] = true
		}
	}
	return names
}

// Every PromQL expression of the Grafana dashboard parses, and every metric
// it queries is one MallBots registers.
func TestTheDashboardQueriesOnlyRegisteredMetrics(t *testing.T) {
	qs, err := metricstest.Queries(metricstest.DashboardPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 20 {
		t.Fatalf("the dashboard has %d queries; want the metrics of docs/operations.md charted", len(qs))
	}
	known := registered(t)
	for _, q := range qs {
		for _, name := range q.Metrics {
			if !known[metricstest.Family(name, func(n string) bool { return known[n] })] {
				t.Errorf("panel %q queries %s, which MallBots does not register", q.Panel, name)
			}
			if !strings.HasPrefix(name, metrics.Namespace+"_") {
				t.Errorf("panel %q queries %s: MallBots' metrics start with %s_", q.Panel, name, metrics.Namespace)
			}
		}
	}
}

// Every MallBots metric is charted by the dashboard, so a new metric is a
// new panel (the Go runtime's and the process's are standard).
func TestTheDashboardChartsEveryMallBotsMetric(t *testing.T) {
	qs, err := metricstest.Queries(metricstest.DashboardPath())
	if err != nil {
		t.Fatal(err)
	}
	known := registered(t)
	charted := map[string]bool{}
	for _, n := range metricstest.Names(qs) {
		charted[metricstest.Family(n, func(n string) bool { return known[n] })] = true
	}
	for name := range known {
		if strings.HasPrefix(name, "mallbots_") && !strings.HasPrefix(name, "mallbots_kafka_") && !charted[name] {
			t.Errorf("%s is registered but no dashboard panel charts it", name)
		}
	}
}
