package enginetest

import (
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// events is the queue of a's events; a's group must run.
func (r *Rig) events(a topics.Aggregate) *tester.QueueTracker {
	r.t.Helper()
	if !r.run[a.Type] {
		r.t.Fatalf("the rig runs no %s group", a.Type)
	}
	return r.queue[a.Events.Name]
}

// NextEvent is the next event a's group emitted, decoded.
func (r *Rig) NextEvent(a topics.Aggregate) schemas.Event {
	r.t.Helper()
	return r.decode(a.Events.Name, r.NextEventRaw(a)).(schemas.Event)
}

// NextEventRaw is the next event a's group emitted, as its bytes.
func (r *Rig) NextEventRaw(a topics.Aggregate) []byte {
	r.t.Helper()
	_, v, ok := r.events(a).Next()
	if !ok {
		r.t.Fatalf("no %s event", a.Type)
	}
	return v.([]byte)
}

// NoEvent fails if a's group emitted an event not read yet.
func (r *Rig) NoEvent(a topics.Aggregate) {
	r.t.Helper()
	if _, v, ok := r.events(a).Next(); ok {
		r.t.Fatalf("an unexpected %s event %+v", a.Type, r.decode(a.Events.Name, v))
	}
}

// NextResult is the next command result on mallbots.results.
func (r *Rig) NextResult() *schemas.CommandResult {
	r.t.Helper()
	_, v, ok := r.queue[topics.Results.Name].Next()
	if !ok {
		r.t.Fatal("no result")
	}
	return r.decode(topics.Results.Name, v).(*schemas.CommandResult)
}

// NextReply is the next result sent to the saga, and its key (the order).
func (r *Rig) NextReply() (string, *schemas.CommandResult) {
	r.t.Helper()
	key, v, ok := r.queue[topics.SagaReplies.Name].Next()
	if !ok {
		r.t.Fatal("no reply to the saga")
	}
	return key, r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult)
}

// NoReply fails if a result was sent to the saga and not read yet.
func (r *Rig) NoReply() {
	r.t.Helper()
	if key, v, ok := r.queue[topics.SagaReplies.Name].Next(); ok {
		r.t.Fatalf("an unexpected reply to the saga %q %+v", key, r.decode(topics.SagaReplies.Name, v))
	}
}

// NextDeadLetter is the next record on mallbots.deadletter: its headers
// (reason and origin) and the value as it arrived.
func (r *Rig) NextDeadLetter() (goka.Headers, []byte) {
	r.t.Helper()
	h, _, v, ok := r.queue[topics.DeadLetter.Name].NextWithHeaders()
	if !ok {
		r.t.Fatal("no dead letter")
	}
	return h, v.([]byte)
}
