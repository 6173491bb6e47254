package enginetest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// What the tests of a group that is no aggregate's (the policies, the
// saga) share: the group runs under goka's tester for the whole test, and
// the test reads what it sent, what it dead-lettered and what it logged.

// Watch is a group that is no aggregate's running under goka's tester
// (StartWatched), and what a test reads of it.
type Watch struct {
	Tester *tester.Tester
	// Stopped receives the group's error if its Run returns before the
	// test ends (Start).
	Stopped chan error
	// Log holds the group's log, one JSON line a record.
	Log *testkit.LogBuffer
	// DeadLetters is the queue of mallbots.deadletter.
	DeadLetters *tester.QueueTracker
	// Sent are the queues of the topics the group sends to, by topic name.
	Sent  map[string]*tester.QueueTracker
	group string
}

// StartWatched runs the group that build makes on a Runtime (opts come
// after the Runtime's log, which writes JSON lines to Log) until the test
// ends, and tracks its dead letters and the topics in sends. The group
// must be group, the name its dead letters carry as their origin.
func StartWatched(t testing.TB, group string, build func(*engine.Runtime) *goka.GroupGraph, sends []topics.Topic, opts ...engine.Option) *Watch {
	t.Helper()
	w := &Watch{Tester: tester.New(t), Stopped: make(chan error, 1), Log: new(testkit.LogBuffer), Sent: map[string]*tester.QueueTracker{}, group: group}
	gg := build(Runtime(t, append([]engine.Option{engine.WithLog(slog.New(slog.NewJSONHandler(w.Log, nil)))}, opts...)...))
	if gg.Group() != goka.Group(group) {
		t.Fatalf("the group is %s, want %s", gg.Group(), group)
	}
	Start(t, w.Tester, gg, w.Stopped)
	w.DeadLetters = w.Tester.NewQueueTracker(topics.DeadLetter.Name)
	for _, s := range sends {
		w.Sent[s.Name] = w.Tester.NewQueueTracker(s.Name)
	}
	return w
}

// Consume hands the group a record on topic and waits until it is handled
// (the function Consume).
func (w *Watch) Consume(tb testing.TB, topic topics.Topic, key string, value []byte) {
	tb.Helper()
	Consume(tb, w.Tester, w.Stopped, topic.Name, key, value)
}

// AssertDeadLettered checks that value, consumed from topic, was
// dead-lettered with reason: the next dead letter is value as it arrived,
// with topic and the group for its origin; the group sent nothing to the
// topics it sends to; and its log has one line naming the reason, at ERROR.
func (w *Watch) AssertDeadLettered(tb testing.TB, topic topics.Topic, value []byte, reason string) {
	tb.Helper()
	h, _, v, ok := w.DeadLetters.NextWithHeaders()
	if !ok {
		tb.Fatalf("no dead letter%s", StopNote(w.Stopped))
	}
	if got := string(h[topics.HeaderDLQReason]); got != reason {
		tb.Errorf("dead letter reason %q, want %q", got, reason)
	}
	if b, _ := v.([]byte); !bytes.Equal(b, value) || string(h[topics.HeaderDLQTopic]) != topic.Name || string(h[topics.HeaderDLQGroup]) != w.group {
		tb.Errorf("dead letter %q with headers %q; want the record as it arrived and its origin", b, h)
	}
	for name, q := range w.Sent {
		if _, _, ok := q.Next(); ok {
			tb.Errorf("the group sent a record to %s for the dead-lettered record", name)
		}
	}
	if levels := logLevels(tb, w.Log.String(), reason); !slices.Equal(levels, []string{"ERROR"}) {
		tb.Errorf("the dead letter was logged at %q, want one line at ERROR naming the reason", levels)
	}
}

// logLevels are the levels of the JSON log lines whose reason is reason.
func logLevels(tb testing.TB, logs, reason string) []string {
	tb.Helper()
	var levels []string
	for l := range strings.Lines(logs) {
		var line struct{ Level, Reason string }
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			tb.Fatalf("log line %q: %v", l, err)
		}
		if line.Reason == reason {
			levels = append(levels, line.Level)
		}
	}
	return levels
}

// Consume hands tt a record and waits until the group has handled it. Once
// a group has stopped, goka's tester would wait for good: a group that
// stops (its error on stopped, see Start), or a record not handled within
// 10 s, fails the test instead.
func Consume(tb testing.TB, tt *tester.Tester, stopped <-chan error, topic, key string, value []byte) {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tt.Consume(topic, key, value)
	}()
	select {
	case <-done:
	case err := <-stopped:
		tb.Fatalf("%s, key %q: the group stopped: %v", topic, key, err)
	case <-time.After(10 * time.Second):
		tb.Fatalf("%s, key %q: not handled within 10 s", topic, key)
	}
}
