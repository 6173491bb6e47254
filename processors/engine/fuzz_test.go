package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// FuzzCommandRecord puts an arbitrary record on the command topic of one of
// the aggregates, every group of every context running under goka's tester
// with empty tables. Whatever the record holds, its group handles it and goes
// on: no group stops (a panic in a callback or a ctx.Fail would stop its
// partition for good), and the record leaves exactly one trace:
//
//   - a dead letter carrying the record's value unchanged and a reason, and
//     nothing else; or
//   - one result on mallbots.results for the command's id, and, when it is
//     accepted, as many events of the command's aggregate as the version it
//     reports (the aggregate was new), and a snapshot of that version in the
//     table; when it is rejected, no event.
//
// keyFromCommand keys the record by the aggregate id of the command the value
// decodes to, if any, so that the fuzzer reaches the rules and not only the
// key check.
//
//	go test -run='^$' -fuzz='^FuzzCommandRecord$' -fuzztime=60s -parallel 1 ./processors/engine/
func FuzzCommandRecord(f *testing.F) {
	h := newFuzzHarness(f)
	for i, a := range h.aggregates {
		for _, name := range a.Commands.Values {
			value := h.fixture(f, a.Commands, name)
			f.Add(uint8(i), "", value, true)
			f.Add(uint8(i), "someone-else", value, false)
			f.Add(uint8(i), "", h.unconditional(f, a.Commands, value), true)
		}
		f.Add(uint8(i), "k", []byte("definitely not avro"), false)
		f.Add(uint8(i), "", []byte{0, 0, 0, 0, 1}, false)
	}

	f.Fuzz(func(t *testing.T, aggregate uint8, key string, value []byte, keyFromCommand bool) {
		a := h.aggregates[int(aggregate)%len(h.aggregates)]
		var sent schemas.Command
		if v, err := h.sd.Decode(context.Background(), serde.Position{Topic: a.Commands.Name, Offset: -1}, value); err == nil {
			sent, _ = v.(schemas.Command)
		}
		if keyFromCommand && sent != nil {
			key = sent.CommandMetadata().AggregateID
		}
		out := h.consume(t, a.Commands.Name, key, value)

		what := fmt.Sprintf("%s: key %q, value %q", a.Commands.Name, key, value)
		fatalf := func(format string, args ...any) {
			t.Helper()
			t.Fatalf(format+"%s", append(args, enginetest.StopNote(h.stopped))...)
		}
		if len(out.deadLetters) > 0 {
			if len(out.deadLetters) != 1 || len(out.results) != 0 || len(out.events) != 0 {
				fatalf("%s: %d dead letters, %d results, %d events; a dead-lettered record leaves nothing else", what,
					len(out.deadLetters), len(out.results), len(out.events))
			}
			dl := out.deadLetters[0]
			if !bytes.Equal(dl.value, value) || len(dl.headers[topics.HeaderDLQReason]) == 0 {
				fatalf("%s: dead letter %q with reason %q; want the record's value and a reason", what, dl.value, dl.headers[topics.HeaderDLQReason])
			}
			return
		}
		if sent == nil {
			fatalf("%s: a value that is no command was not dead-lettered (%d results, %d events)", what, len(out.results), len(out.events))
		}
		if len(out.results) != 1 {
			fatalf("%s: %d results; a command gets exactly one", what, len(out.results))
		}
		res := h.decode(t, topics.Results.Name, out.results[0].value).(*schemas.CommandResult)
		if res.CommandID != sent.CommandMetadata().CommandID || out.results[0].key != res.CommandID {
			fatalf("%s: result %+v keyed %q; want the command's id %q", what, res, out.results[0].key, sent.CommandMetadata().CommandID)
		}
		if !res.Accepted {
			if len(out.events) != 0 {
				fatalf("%s: rejected (%s: %s) but %d events fuzzRecord", what, res.Code, res.Message, len(out.events))
			}
			return
		}
		if int64(len(out.events)) != res.Version {
			fatalf("%s: accepted at version %d with %d events; a new aggregate's version counts its events", what, res.Version, len(out.events))
		}
		for _, e := range out.events {
			ev, ok := h.decode(t, a.Events.Name, e.value).(schemas.Event)
			if !ok || e.key != key || ev.EventMetadata().AggregateID != key {
				fatalf("%s: event %+v keyed %q; want an event of aggregate %q", what, ev, e.key, key)
			}
		}
		if res.Version > 0 {
			raw, _ := h.tt.TableValue(goka.Table(a.Table.Name), key).([]byte)
			if snap := h.decode(t, a.Table.Name, raw); fuzzSnapshotVersion(snap) != res.Version {
				fatalf("%s: accepted at version %d, but the table holds %+v", what, res.Version, snap)
			}
		}
	})
}

// fuzzSnapshotVersion is the Version of a *schemas.Snapshot[S] of any S, -1
// for anything else.
func fuzzSnapshotVersion(v any) int64 {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct || !rv.FieldByName("State").IsValid() || rv.FieldByName("Version").Kind() != reflect.Int64 {
		return -1
	}
	return rv.FieldByName("Version").Int()
}

// fuzzHarness runs every aggregate group under one tester for the whole
// fuzz run, and records what each consumed record leaves.
type fuzzHarness struct {
	tt         *tester.Tester
	sd         *serde.Serde
	aggregates []topics.Aggregate
	stopped    chan error // a group's Run returned
	failed     chan error // a group's callback called ctx.Fail
	queues     map[string]*tester.QueueTracker
}

type fuzzRecord struct {
	key     string
	value   []byte
	headers goka.Headers
}

type fuzzOutput struct {
	deadLetters, results, events []fuzzRecord
}

func newFuzzHarness(f *testing.F) *fuzzHarness {
	f.Helper()
	sd, _ := testkit.Serde(f)
	h := &fuzzHarness{tt: tester.New(f), sd: sd, aggregates: topics.EngineAggregates(),
		stopped: make(chan error, 16), failed: make(chan error, 1), queues: map[string]*tester.QueueTracker{}}
	rt := enginetest.Runtime(f, engine.WithLog(slog.New(slog.NewTextHandler(io.Discard, nil))))
	var groups []*goka.GroupGraph
	for _, c := range contexts {
		groups = append(groups, c.groups(rt)...)
	}
	if len(groups) != len(h.aggregates) {
		f.Fatalf("%d groups for %d aggregates: a context's groups are missing here", len(groups), len(h.aggregates))
	}
	for _, gg := range groups {
		enginetest.Start(f, h.tt, gg, h.stopped, enginetest.FailWatch(h.failed))
	}
	for _, topic := range []string{topics.DeadLetter.Name, topics.Results.Name} {
		h.queues[topic] = h.tt.NewQueueTracker(topic)
	}
	for _, a := range h.aggregates {
		h.queues[a.Events.Name] = h.tt.NewQueueTracker(a.Events.Name)
	}
	return h
}

// consume puts the record on topic with every table emptied first, so that
// each input is handled alone, and returns what it left. A group that stops,
// or a record that is not handled within seconds, fails t.
func (h *fuzzHarness) consume(t *testing.T, topic, key string, value []byte) fuzzOutput {
	select {
	case err := <-h.stopped:
		t.Fatalf("a group stopped after an earlier input: %v", err)
	default:
	}
	h.tt.ClearValues()
	for _, q := range h.queues {
		q.Seek(q.Hwm())
	}
	enginetest.Consume(t, h.tt, h.stopped, topic, key, value)
	select {
	case err := <-h.failed:
		t.Fatalf("%s: key %q, value %q: the group failed the record (ctx.Fail): %v", topic, key, value, err)
	case err := <-h.stopped:
		t.Fatalf("%s: key %q, value %q: the group stopped: %v", topic, key, value, err)
	default:
	}
	var out fuzzOutput
	read := func(topic string) []fuzzRecord {
		var all []fuzzRecord
		for {
			headers, k, v, ok := h.queues[topic].NextWithHeaders()
			if !ok {
				return all
			}
			b, _ := v.([]byte)
			all = append(all, fuzzRecord{key: k, value: b, headers: headers})
		}
	}
	out.deadLetters = read(topics.DeadLetter.Name)
	out.results = read(topics.Results.Name)
	for _, a := range h.aggregates {
		out.events = append(out.events, read(a.Events.Name)...)
	}
	return out
}

func (h *fuzzHarness) decode(t *testing.T, topic string, b []byte) any {
	t.Helper()
	v, err := h.sd.Decode(context.Background(), serde.Position{Topic: topic, Offset: -1}, b)
	if err != nil {
		t.Fatalf("the group wrote a record of %s that does not decode: %v", topic, err)
	}
	return v
}

// unconditional is the command record without its expected version (the
// fixtures have one, which a new aggregate never matches), so that the
// rules get to decide it.
func (h *fuzzHarness) unconditional(f *testing.F, topic topics.Topic, value []byte) []byte {
	f.Helper()
	v, err := h.sd.Decode(context.Background(), serde.Position{Topic: topic.Name, Offset: -1}, value)
	if err != nil {
		f.Fatal(err)
	}
	cmd := v.(schemas.Command)
	cmd.CommandMetadata().ExpectedVersion = nil
	b, err := h.sd.Encode(topic.Name, cmd)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// fixture is the committed record of the latest version of a command type
// (schemas/testdata/records), framed with the id its writer has on topic.
func (h *fuzzHarness) fixture(f *testing.F, topic topics.Topic, name string) []byte {
	f.Helper()
	return enginetest.LatestRecord(f, h.sd, topic.Name, name)
}
