package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// OTLP returns a tracer provider that exports every sampled span over
// OTLP/HTTP (protobuf) to endpoint, in batches, and its shutdown, which
// flushes what is pending. endpoint is the collector's OTLP/HTTP base URL,
// e.g. http://otel-collector:4318 (`/v1/traces` is appended when it has no
// path; https uses TLS; a bare host:port means http). Spans are sampled
// parent-based: a request that arrives with a sampled traceparent is
// traced, and so is every root. service names the instance in the traces
// (service.name).
func OTLP(ctx context.Context, endpoint, service string) (trace.TracerProvider, func(context.Context) error, error) {
	u, err := exporterURL(endpoint)
	if err != nil {
		return nil, nil, err
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: OTLP exporter for %s: %w", u, err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", service))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)
	return tp, tp.Shutdown, nil
}

// exporterURL turns --otlp-endpoint into the exporter's traces URL.
func exporterURL(endpoint string) (string, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("tracing: the OTLP endpoint %q is not a URL like http://collector:4318", endpoint)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("tracing: the OTLP endpoint %q must use http or https (OTLP/HTTP)", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}
