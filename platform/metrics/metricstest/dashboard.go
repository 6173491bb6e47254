// Package metricstest reads the Grafana dashboard (deploy/grafana) for the
// tests that keep it honest: every PromQL expression it holds must parse,
// and every metric it queries must be registered (platform/metrics) and
// have samples after a load run (app/system). Test support only.
package metricstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// DashboardPath is the dashboard's path in the repository.
func DashboardPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "deploy", "grafana", "mallbots-dashboard.json")
}

// Query is one PromQL expression of a panel.
type Query struct {
	Panel, Expr string
	// Metrics are the metric names the expression selects.
	Metrics []string
}

// grafanaVariables are the variables Grafana substitutes before a query
// reaches Prometheus, with values that parse.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// Queries parses every expression of the dashboard at path and lists the
// metrics each selects; an expression that does not parse is an error.
func Queries(path string) ([]Query, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := parser.NewParser(parser.Options{})
	var out []Query
	var walk func([]panel) error
	walk = func(ps []panel) error {
		for _, pn := range ps {
			for _, t := range pn.Targets {
				expr, err := p.ParseExpr(grafanaVariables.Replace(t.Expr))
				if err != nil {
					return fmt.Errorf("panel %q: %q does not parse: %w", pn.Title, t.Expr, err)
				}
				q := Query{Panel: pn.Title, Expr: t.Expr}
				parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
					if vs, ok := n.(*parser.VectorSelector); ok {
						q.Metrics = append(q.Metrics, selectorName(vs))
					}
					return nil
				})
				if len(q.Metrics) == 0 {
					return fmt.Errorf("panel %q: %q selects no metric", pn.Title, t.Expr)
				}
				out = append(out, q)
			}
			if err := walk(pn.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(d.Panels)
}

func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// Names lists every metric the queries select, once, sorted.
func Names(qs []Query) []string {
	var names []string
	for _, q := range qs {
		names = append(names, q.Metrics...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Family is the metric family a selected name belongs to: histogram and
// summary series (_bucket, _sum, _count) belong to their base name.
func Family(name string, known func(string) bool) string {
	if known(name) {
		return name
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && known(base) {
			return base
		}
	}
	return name
}
