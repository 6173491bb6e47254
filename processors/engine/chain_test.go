package engine_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	contract "github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// chainGroup is a group of one input through the chain, whose handler
// panics on the key "boom" and otherwise keeps what it was given; before
// is its step before the decode.
type chainGroup struct {
	tt      *tester.Tester
	logs    *jsonLogs
	m       *metrics.Metrics
	handled []*engine.Record
	stopped chan error
}

const chainGroupName = "mallbots.chain-test"

func runChainGroup(t *testing.T, before ...engine.Step) *chainGroup {
	t.Helper()
	g := &chainGroup{tt: tester.New(t), logs: &jsonLogs{}, m: metrics.New(), stopped: make(chan error, 1)}
	rt := enginetest.Runtime(t, engine.WithLog(slog.New(slog.NewJSONHandler(g.logs, nil))), engine.WithMetrics(g.m))
	handle := func(ctx goka.Context, rec *engine.Record) {
		if ctx.Key() == "boom" {
			panic("the handler broke")
		}
		g.handled = append(g.handled, rec)
	}
	gg := goka.DefineGroup(goka.Group(chainGroupName),
		rt.Input(chainGroupName, topics.Stores.Commands.Name, "aggregate_id", handle, before...),
		engine.DeadLetterOutput())
	enginetest.Start(t, g.tt, gg, g.stopped)
	return g
}

func (g *chainGroup) consume(key string, value []byte) {
	g.tt.Consume(topics.Stores.Commands.Name, key, value)
}

// records reads mallbots_records_total for the test group and outcome.
func (g *chainGroup) records(t *testing.T, outcome string) float64 {
	t.Helper()
	return counter(t, g.m, "mallbots_records_total", map[string]string{"group": chainGroupName, "outcome": outcome})
}

func createStore(t *testing.T, id string) []byte {
	cmd := &contract.CreateStore{CommandMeta: enginetest.Meta("c-"+id, id), Name: "Waldorf Books", Location: "Level 1"}
	return enginetest.Encode(t, topics.Stores.Commands, cmd)
}

// A record the contract decodes reaches the group's handler decoded, with
// its raw bytes, its position and a log that names it, and is counted as
// handled.
func TestTheChainHandsTheHandlerADecodedRecord(t *testing.T) {
	g := runChainGroup(t)
	raw := createStore(t, "s1")
	g.consume("s1", raw)

	if len(g.handled) != 1 {
		t.Fatalf("the handler ran %d times, want 1", len(g.handled))
	}
	rec := g.handled[0]
	if cmd, ok := rec.Value.(*contract.CreateStore); !ok || cmd.AggregateID != "s1" {
		t.Errorf("the handler was given %#v, want the decoded CreateStore of s1", rec.Value)
	}
	if string(rec.Raw) != string(raw) || rec.Pos.Topic != topics.Stores.Commands.Name || rec.Pos.Offset != 0 {
		t.Errorf("the record is %s with %d bytes, want %s/0@0 with the %d bytes consumed", rec.Pos, len(rec.Raw), topics.Stores.Commands.Name, len(raw))
	}
	if n := g.records(t, "handled"); n != 1 {
		t.Errorf("mallbots_records_total{outcome=handled} = %v, want 1", n)
	}
}

// A record the contract cannot decode goes to the dead letters with the
// decoder's reason; the handler never sees it, and the group goes on.
func TestTheChainDeadLettersWhatItCannotDecode(t *testing.T) {
	g := runChainGroup(t)
	dead := g.tt.NewQueueTracker(topics.DeadLetter.Name)
	g.consume("s1", []byte("not avro"))
	g.consume("s2", createStore(t, "s2"))

	h, key, value, ok := dead.NextWithHeaders()
	if !ok {
		t.Fatal("no dead letter")
	}
	if key != "s1" || string(value.([]byte)) != "not avro" || !strings.Contains(string(h[topics.HeaderDLQReason]), "magic byte") ||
		string(h[topics.HeaderDLQGroup]) != chainGroupName {
		t.Errorf("dead letter %q %q, reason %q, group %q: want s1's bytes unchanged, the decoder's reason and the group",
			key, value, h[topics.HeaderDLQReason], h[topics.HeaderDLQGroup])
	}
	if len(g.handled) != 1 || g.handled[0].Pos.Offset != 1 {
		t.Errorf("the handler saw %d records, want only s2's", len(g.handled))
	}
	if dl, handled := g.records(t, "dead_lettered"), g.records(t, "handled"); dl != 1 || handled != 1 {
		t.Errorf("records: %v dead-lettered, %v handled; want 1 and 1", dl, handled)
	}
}

// A group's own step sees the raw record before the decode, and may
// answer it itself (here: refuse a record without a key) instead of
// passing it on.
func TestTheChainRunsTheGroupsStepsBeforeTheDecode(t *testing.T) {
	var seen []string
	g := runChainGroup(t, func(ctx goka.Context, rec *engine.Record, next engine.Handler) {
		seen = append(seen, string(rec.Raw))
		if rec.Value != nil {
			t.Errorf("a step before the decode was given a decoded value %T", rec.Value)
		}
		if ctx.Key() == "" {
			rec.DeadLetter(ctx, "no key")
			return
		}
		next(ctx, rec)
	})
	g.consume("", []byte("not avro either"))
	g.consume("s1", createStore(t, "s1"))
	if len(seen) != 2 || len(g.handled) != 1 {
		t.Errorf("the step saw %d records and the handler %d, want 2 and 1", len(seen), len(g.handled))
	}
	if n := g.records(t, "dead_lettered"); n != 1 {
		t.Errorf("mallbots_records_total{outcome=dead_lettered} = %v, want 1", n)
	}
}

// A record whose handler panics (or calls ctx.Fail, which panics) stops
// the processor, as goka always has: it is handled again after the
// restart. The chain names the record in an ERROR line and counts it as
// failed first, which goka's own error does not.
func TestTheChainNamesTheRecordThatStoppedTheGroup(t *testing.T) {
	g := runChainGroup(t)
	g.consume("boom", createStore(t, "boom"))

	select {
	case err := <-g.stopped:
		if !strings.Contains(err.Error(), "the handler broke") {
			t.Errorf("the group stopped with %v, want the handler's panic", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the group did not stop on the panic")
	}
	if n := g.records(t, "failed"); n != 1 {
		t.Errorf("mallbots_records_total{outcome=failed} = %v, want 1", n)
	}
	var named bool
	for _, line := range g.logs.lines(t) {
		if line["level"] == "ERROR" && line["aggregate_id"] == "boom" && line["topic"] == topics.Stores.Commands.Name &&
			strings.Contains(line["err"].(string), "the handler broke") {
			named = true
		}
	}
	if !named {
		t.Errorf("no ERROR line names the record and the panic:\n%s", g.logs.String())
	}
}

// counter reads a counter of m with exactly these labels; 0 when absent.
func counter(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metric
				}
			}
			return mt.GetCounter().GetValue()
		}
	}
	return 0
}
