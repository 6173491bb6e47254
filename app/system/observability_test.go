package system_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/metrics/metricstest"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/tools/loadgen"
	"github.com/mallbots/mallbots/topics"
)

// spans records, in memory, the spans of the traces a test starts itself:
// the system's tracer samples a trace only when the request that starts it
// arrives with a sampled traceparent (roots are never sampled), so the
// other tests' traffic records nothing.
var spans = tracetest.NewSpanRecorder()

func tracerProvider() trace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
}

// The checkout's trace goes from the HTTP request through the command, the
// basket's processor (BasketCheckedOut), the policy's CreateOrder, the
// order's processor (OrderCreated) to the projection of OrderCreated into
// ClickHouse: one trace id, each span the child of the one before.
func TestOneTraceLinksTheHTTPCheckoutToTheOrderCreatedProjection(t *testing.T) {
	s := newShopper(t)
	a := api(t)
	s.payment = a.Do("POST", "/api/payments", map[string]any{"customerId": s.customer, "amount": 19.98}).Expect(t, 201).S("id")
	const traceID = "5b8efff798038103d269b633813fc60c"
	a.Do("PUT", "/api/baskets/"+s.basket+"/checkout", map[string]any{"paymentId": s.payment},
		"traceparent", "00-"+traceID+"-eee19b7ec3c1b174-01").Expect(t, 200)

	// Each step, the span it must be a child of, and how to know it.
	steps := []struct {
		what string
		is   func(sdktrace.ReadOnlySpan) bool
	}{
		{"the HTTP checkout", named("PUT /api/baskets/{id}/checkout")},
		{"sending CheckoutBasket", named("send CheckoutBasket")},
		{"the basket's processor handling CheckoutBasket (BasketCheckedOut)", func(sp sdktrace.ReadOnlySpan) bool {
			return sp.Name() == "handle CheckoutBasket" && hasAttr(sp, "mallbots.events", `["BasketCheckedOut"]`)
		}},
		{"the policy reacting to BasketCheckedOut (sending CreateOrder)", named("react BasketCheckedOut")},
		{"the order's processor handling CreateOrder (OrderCreated)", func(sp sdktrace.ReadOnlySpan) bool {
			return sp.Name() == "handle CreateOrder" && hasAttr(sp, "mallbots.events", `["OrderCreated"]`)
		}},
		{"the projection of OrderCreated into mallbots.events", func(sp sdktrace.ReadOnlySpan) bool {
			return sp.Name() == "project "+topics.Orders.Events.Name && hasAttr(sp, "mallbots.projection", "events")
		}},
	}
	var chain []sdktrace.ReadOnlySpan
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		chain = chain[:0]
		var parent trace.SpanID
		for i, st := range steps {
			var found sdktrace.ReadOnlySpan
			for _, sp := range spans.Ended() {
				if sp.SpanContext().TraceID().String() == traceID && st.is(sp) && (i == 0 || sp.Parent().SpanID() == parent) {
					found = sp
					break
				}
			}
			if found == nil {
				return false, fmt.Sprintf("no span for %s (a child of %s) in trace %s; spans of the trace: %s", st.what, parent, traceID, traceSpans(traceID))
			}
			chain = append(chain, found)
			parent = found.SpanContext().SpanID()
		}
		return true, ""
	})
}

func named(name string) func(sdktrace.ReadOnlySpan) bool {
	return func(sp sdktrace.ReadOnlySpan) bool { return sp.Name() == name }
}

func hasAttr(sp sdktrace.ReadOnlySpan, key, value string) bool {
	for _, kv := range sp.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit() == value
		}
	}
	return false
}

func traceSpans(traceID string) string {
	var out []string
	for _, sp := range spans.Ended() {
		if sp.SpanContext().TraceID().String() == traceID {
			out = append(out, fmt.Sprintf("%q (%s, parent %s)", sp.Name(), sp.SpanContext().SpanID(), sp.Parent().SpanID()))
		}
	}
	return strings.Join(out, ", ")
}

// After a short load run every metric the Grafana dashboard queries is on
// /metrics, and those that count the load's work are not zero.
func TestMetricsHaveValuesAfterALoadRun(t *testing.T) {
	qs, err := metricstest.Queries(metricstest.DashboardPath())
	if err != nil {
		t.Fatal(err)
	}
	// Sample the consumer lag while the load runs: it is 0 again at rest.
	var (
		mu     sync.Mutex
		maxLag float64
	)
	ctx, stopSampling := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if fams, err := scrape(); err == nil {
				mu.Lock()
				maxLag = max(maxLag, sum(fams["mallbots_consumer_group_lag"]))
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	})
	lctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	summary, err := loadgen.Run(lctx, loadgen.Config{API: "http://" + sys.HTTPAddr(), Token: tokenFor(t, operator), Shoppers: 30, Rate: 15, Seed: 60, OrderTimeout: time.Minute})
	stopSampling()
	wg.Wait()
	if err != nil || summary.Errors > 0 {
		t.Fatalf("the load run failed: %v (%d shoppers with errors)", err, summary.Errors)
	}

	// Projections catch up within their flush interval and lag refresh.
	var fams map[string]*dto.MetricFamily
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		fams, err = scrape()
		if err != nil {
			return false, err.Error()
		}
		return sum(fams["mallbots_projection_rows_total"]) > 0, "no rows projected yet"
	})
	known := func(n string) bool { return fams[n] != nil }
	for _, name := range metricstest.Names(qs) {
		f := fams[metricstest.Family(name, known)]
		if f == nil || len(f.GetMetric()) == 0 {
			t.Errorf("the dashboard queries %s, which /metrics does not show after the load run", name)
		}
	}
	for _, name := range []string{
		"mallbots_commands_total", "mallbots_saga_started_total", "mallbots_saga_outcomes_total",
		"mallbots_http_request_duration_seconds", "mallbots_consumer_group_members",
		"mallbots_goka_partitions", "mallbots_goka_recovered", "mallbots_goka_input_messages_total",
		"mallbots_goka_output_messages_total", "mallbots_goka_table_writes_total", "mallbots_goka_input_bytes_total",
		"mallbots_projection_records_total", "mallbots_projection_rows_total", "mallbots_projection_flushes_total",
		"mallbots_kafka_fetch_records_total", "mallbots_kafka_produce_records_total", "mallbots_kafka_read_bytes_total",
		"mallbots_kafka_connects_total",
	} {
		if v := sum(fams[name]); v <= 0 {
			t.Errorf("%s is %v after the load run, want more than 0", name, v)
		}
	}
	for _, outcome := range []string{"accepted", "rejected"} {
		if v := sumWhere(fams["mallbots_commands_total"], "outcome", outcome); v <= 0 {
			t.Errorf("mallbots_commands_total{outcome=%q} is %v after the load run (it has disabled and underpaying shoppers)", outcome, v)
		}
	}
	if maxLag <= 0 {
		t.Errorf("mallbots_consumer_group_lag was 0 at every sample during the load run")
	}
}

// scrape reads /metrics.
func scrape() (map[string]*dto.MetricFamily, error) {
	resp, err := checkedHTTP.Get("http://" + sys.HTTPAddr() + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func sum(f *dto.MetricFamily) float64 { return sumWhere(f, "", "") }

// sumWhere adds up a family's samples (a histogram's count) whose label
// has value (every sample when label is empty).
func sumWhere(f *dto.MetricFamily, label, value string) float64 {
	if f == nil {
		return 0
	}
	total := 0.0
	for _, m := range f.GetMetric() {
		if label != "" {
			ok := false
			for _, l := range m.GetLabel() {
				ok = ok || l.GetName() == label && l.GetValue() == value
			}
			if !ok {
				continue
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			total += m.GetUntyped().GetValue()
		}
	}
	return total
}
