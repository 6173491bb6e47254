// Package tracing carries OpenTelemetry trace context through MallBots: from
// the HTTP request through the command, the aggregate's goka callback, the
// events, results and snapshots it writes, the policies' and the saga's
// commands, to the ClickHouse projection of each event. The context travels
// in Kafka record headers as W3C Trace Context (`traceparent`, and
// `tracestate` when set), the format every OpenTelemetry SDK reads, so a
// producer or consumer in another language joins the same traces.
//
// It consumes a trace.TracerProvider (nil means no tracing: a no-op that
// still passes an incoming context on, so an instance without tracing never
// breaks a trace) and produces goka callback wrappers (goka.go), header
// carriers for franz-go records and goka headers (carrier.go), and the OTLP
// exporter setup (otlp.go).
package tracing

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of every MallBots span.
const Name = "github.com/mallbots/mallbots"

// Propagator is the W3C Trace Context propagator MallBots uses for HTTP
// and Kafka headers.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Tracer returns MallBots' tracer from tp; a nil tp gives a no-op tracer.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(Name)
}

// Inject writes the span context of ctx into c; it writes nothing when ctx
// has no valid span context.
func Inject(ctx context.Context, c propagation.TextMapCarrier) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	Propagator.Inject(ctx, c)
}

// Extract returns ctx with the remote span context found in c, if any.
func Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return Propagator.Extract(ctx, c)
}
