package httpapi

import (
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/tracing"
)

// Observability is what the HTTP server reports to; the zero value reports
// nothing and serves no /metrics.
type Observability struct {
	// Metrics serves GET /metrics (Prometheus); nil: no such route.
	Metrics http.Handler
	// ObserveRequest is told every request's route pattern (e.g. "PUT
	// /api/baskets/{id}/checkout"; "/" for an unknown route), status and
	// duration; nil: nothing.
	ObserveRequest func(route string, status int, d time.Duration)
	// Tracer starts a server span per request, continuing the trace of an
	// incoming traceparent header; the commands a request sends carry it
	// on (emitters.Commands.Send). nil: no spans.
	Tracer trace.TracerProvider
}

// observe wraps the router: a span and a latency observation per request,
// named by the route pattern the router matched.
func (o Observability) observe(next http.Handler) http.Handler {
	if o.Tracer == nil && o.ObserveRequest == nil {
		return next
	}
	tracer := tracing.Tracer(o.Tracer)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := tracing.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r) // the router sets r.Pattern on this request
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		span.SetName(route)
		span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.status))
		}
		if o.ObserveRequest != nil {
			o.ObserveRequest(route, rec.status, time.Since(start))
		}
	})
}

// routeMetrics adds GET /metrics when there is a metrics handler.
func (o Observability) routeMetrics(mux *http.ServeMux) {
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
}
