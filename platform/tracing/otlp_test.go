package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestExporterURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://otel-collector:4318":       "http://otel-collector:4318/v1/traces",
		"http://otel-collector:4318/":      "http://otel-collector:4318/v1/traces",
		"otel-collector:4318":              "http://otel-collector:4318/v1/traces",
		"https://collector.example/custom": "https://collector.example/custom",
	} {
		if got, err := exporterURL(in); err != nil || got != want {
			t.Errorf("exporterURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"grpc://collector:4317", "http://"} {
		if _, err := exporterURL(bad); err == nil {
			t.Errorf("exporterURL(%q) accepted", bad)
		}
	}
}

// A span ended before shutdown reaches the collector as an OTLP/HTTP
// request to /v1/traces.
func TestOTLPExportsSpansToTheCollector(t *testing.T) {
	var got atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			got.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	tp, shutdown, err := OTLP(context.Background(), collector.URL, "mallbots-test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := Tracer(tp).Start(context.Background(), "handle CreateStore")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Load() == 0 {
		t.Fatal("the collector received no OTLP/HTTP trace export")
	}
}
