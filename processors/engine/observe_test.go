package engine_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/stores"
	contract "github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// jsonLogs collects the JSON log lines written from goka's goroutines.
type jsonLogs struct{ testkit.LogBuffer }

func (l *jsonLogs) lines(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// observed runs the stores groups under goka's tester with a JSON logger at
// debug level, metrics and an in-memory span recorder.
func observed(t *testing.T) (*tester.Tester, *jsonLogs, *metrics.Metrics, *tracetest.SpanRecorder) {
	t.Helper()
	logs := &jsonLogs{}
	spans := tracetest.NewSpanRecorder()
	m := metrics.New()
	rt := enginetest.Runtime(t, engine.WithLog(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		engine.WithTracer(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))), engine.WithMetrics(m))
	tt := tester.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, gg := range stores.Groups(rt) {
		p, err := goka.NewProcessor(nil, gg, goka.WithTester(tt))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.Run(ctx) }()
	}
	return tt, logs, m, spans
}

// Every processing log line of the engine names the record: topic,
// partition, offset and the aggregate id, as JSON keys.
func TestEngineJSONLogLinesNameTheRecord(t *testing.T) {
	tt, logs, _, _ := observed(t)
	cmd := &contract.CreateStore{CommandMeta: enginetest.Meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"}
	tt.Consume(topics.Stores.Commands.Name, "s1", enginetest.Encode(t, topics.Stores.Commands, cmd))
	tt.Consume(topics.Stores.Commands.Name, "s2", []byte("not avro"))

	want := map[string]bool{"command decided": false, "dead-lettering a record": false}
	for _, line := range logs.lines(t) {
		msg, _ := line["msg"].(string)
		if _, ok := want[msg]; !ok {
			continue
		}
		want[msg] = true
		for _, key := range []string{"topic", "partition", "offset", "aggregate_id"} {
			if _, ok := line[key]; !ok {
				t.Errorf("the engine's line %q has no %q: %v", msg, key, line)
			}
		}
		if line["topic"] != topics.Stores.Commands.Name {
			t.Errorf("line %q: topic %v, want %s", msg, line["topic"], topics.Stores.Commands.Name)
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no %q line in the engine's log:\n%s", msg, logs.String())
		}
	}
}

// The engine continues the trace a command carries onto its events and
// result and its log lines, and counts the command by aggregate, command
// and outcome.
func TestEngineCarriesTheTraceAndCountsTheCommand(t *testing.T) {
	tt, logs, m, spans := observed(t)
	events, results := tt.NewQueueTracker(topics.Stores.Events.Name), tt.NewQueueTracker(topics.Results.Name)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	parent := goka.Headers{"traceparent": []byte("00-" + traceID + "-00f067aa0ba902b7-01")}
	cmd := &contract.CreateStore{CommandMeta: enginetest.Meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"}
	tt.Consume(topics.Stores.Commands.Name, "s1", enginetest.Encode(t, topics.Stores.Commands, cmd), tester.WithHeaders(parent))
	blank := &contract.CreateStore{CommandMeta: enginetest.Meta("c2", "s2"), Name: "", Location: "Level 1"}
	tt.Consume(topics.Stores.Commands.Name, "s2", enginetest.Encode(t, topics.Stores.Commands, blank))

	for name, q := range map[string]*tester.QueueTracker{"event": events, "result": results} {
		h, _, _, ok := q.NextWithHeaders()
		if !ok {
			t.Fatalf("no %s", name)
		}
		if tp := string(h["traceparent"]); !strings.Contains(tp, traceID) {
			t.Errorf("the %s carries traceparent %q, want trace %s", name, tp, traceID)
		}
	}
	traced := 0
	for _, line := range logs.lines(t) {
		if line["msg"] == "command decided" && line["aggregate_id"] == "s1" {
			traced++
			if line["trace_id"] != traceID {
				t.Errorf("the traced command's line has trace_id %v, want %s: %v", line["trace_id"], traceID, line)
			}
		}
	}
	if traced != 1 {
		t.Errorf("%d \"command decided\" lines for s1, want 1:\n%s", traced, logs.String())
	}
	ended := spans.Ended()
	if len(ended) == 0 || ended[0].Name() != "handle CreateStore" || ended[0].SpanContext().TraceID().String() != traceID {
		t.Errorf("want a span \"handle CreateStore\" in trace %s, got %v", traceID, ended)
	}
	for _, outcome := range []string{"accepted", "rejected"} {
		if n := commands(t, m, "store", "CreateStore", outcome); n != 1 {
			t.Errorf("%s CreateStore counted %v times, want 1", outcome, n)
		}
	}
}

// commands reads mallbots_commands_total for one aggregate, command and
// outcome.
func commands(t *testing.T, m *metrics.Metrics, aggregate, command, outcome string) float64 {
	t.Helper()
	return counter(t, m, "mallbots_commands_total", map[string]string{"aggregate": aggregate, "command": command, "outcome": outcome})
}
