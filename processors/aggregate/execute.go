package aggregate

import (
	"errors"
	"fmt"
	"time"

	"github.com/mallbots/mallbots/schemas"
)

// Window bounds the recent commands a snapshot remembers.
//
// Redelivery after a crash starts at the last committed input offset, and
// goka commits marked offsets every second, so the window must cover every
// command an aggregate handled in about a second: MaxWindow entries. Client
// retries (the same command id sent again) are caught for RetryWindow, and
// always for the last MinWindow commands. Only the entries not yet known to
// be committed keep their encoded events (Input.Committed). See
// docs/adr/0004.
const (
	MinWindow   = 16
	MaxWindow   = 128
	RetryWindow = time.Minute
)

// Input is one command to execute.
type Input[C schemas.Command, E schemas.Event] struct {
	Command C
	// Logged are the events of this command already in the event log, in
	// order: found by the adapter when the command may have been handled
	// before a crash or rebalance whose state write was lost. The log is the
	// source of truth: they are adopted rather than decided again.
	Logged []E
	// Offset is the command's offset on its command topic partition.
	Offset int64
	// Now is the processing time: events' occurredAt.
	Now time.Time
	// Committed is the command partition's committed offset as last seen
	// (-1 when unknown; it may lag, never lead). Goka commits an offset
	// only once every emit of the commands below it is acknowledged, so
	// their events are in the log and will not be redelivered: the window
	// keeps their ids and results but forgets their encoded events, which
	// are most of a snapshot's bytes.
	Committed int64
	Facts     Facts
}

// Outcome says what the adapter must write and emit.
type Outcome[S any, E schemas.Event] struct {
	// Replay is set for a command the snapshot already holds: re-write the
	// snapshot unchanged and re-emit exactly Replay.Events and its result.
	Replay *schemas.Applied
	// Skip is set for a command at or below the snapshot's last offset that
	// the window no longer holds: it was handled; do nothing.
	Skip bool
	// Events are new events, metadata filled in.
	Events []E
	// Next is the snapshot to write, nil for none. Its last Recent entry is
	// this command's; the adapter fills in its encoded Events, and its
	// LastHash (the previous snapshot's) with the hash of the last event
	// as it seals them into the chain (docs/adr/0021).
	Next *schemas.Snapshot[S]
	// Result is the command's result.
	Result schemas.CommandResult
}

// Execute decides one command against the current snapshot (nil when the
// aggregate does not exist). It returns an error only for a broken
// invariant (Evolve refusing an event Decide produced, a malformed
// snapshot); business refusals are results.
func Execute[S any, C schemas.Command, E schemas.Event](r Rules[S, C, E], snap *schemas.Snapshot[S], in Input[C, E]) (Outcome[S, E], error) {
	meta := in.Command.CommandMetadata()
	if snap != nil && snap.Version == 0 && len(snap.Recent) == 0 {
		snap = nil
	}
	if snap != nil {
		if applied, ok := snap.Find(meta.CommandID); ok {
			return Outcome[S, E]{Replay: &applied, Next: snap, Result: resultOf(r.Type, meta, applied)}, nil
		}
		if in.Offset >= 0 && in.Offset <= snap.LastOffset {
			return Outcome[S, E]{Skip: true}, nil
		}
	}

	var current *S
	var version int64
	if snap != nil && snap.Version > 0 {
		st := snap.State
		current, version = &st, snap.Version
	}

	events, err := decide(r, current, version, in)
	if len(in.Logged) > 0 {
		events, err = adopt(meta.CommandID, events, err, in.Logged)
	}
	var rej *Rejection
	if errors.As(err, &rej) {
		return rejected[S, C, E](r.Type, snap, meta, in, rej), nil
	}
	if err != nil {
		return Outcome[S, E]{}, fmt.Errorf("decide %s %s: %w", r.Type, meta.AggregateID, err)
	}

	var state S
	if current != nil {
		state = *current
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		em := ev.EventMetadata()
		if i < len(in.Logged) {
			if em.AggregateVersion != version+int64(i)+1 {
				return Outcome[S, E]{}, fmt.Errorf("the event log holds %s %s v%d for command %s, but the state is at v%d: the state table and the event log disagree",
					r.Type, meta.AggregateID, em.AggregateVersion, meta.CommandID, version+int64(i))
			}
			ids[i] = em.EventID
			if state, err = r.Evolve(state, ev); err != nil {
				return Outcome[S, E]{}, fmt.Errorf("evolve %s %s v%d: %w", r.Type, meta.AggregateID, em.AggregateVersion, err)
			}
			continue
		}
		*em = schemas.EventMeta{
			EventID:          schemas.EventID(meta.CommandID, i),
			AggregateID:      meta.AggregateID,
			AggregateVersion: version + int64(i) + 1,
			OccurredAt:       in.Now.UTC().Truncate(time.Millisecond),
			CommandID:        meta.CommandID,
			CausationID:      meta.CommandID,
			CorrelationID:    correlation(meta),
			// Who issued the command is recorded in each event it caused,
			// inside the bytes the hash chain seals (docs/adr/0023).
			IssuedBy:   meta.IssuedBy,
			IssuerRole: meta.IssuerRole,
		}
		ids[i] = em.EventID
		if state, err = r.Evolve(state, ev); err != nil {
			return Outcome[S, E]{}, fmt.Errorf("evolve %s %s v%d: %w", r.Type, meta.AggregateID, em.AggregateVersion, err)
		}
	}
	version += int64(len(events))
	applied := schemas.Applied{CommandID: meta.CommandID, Offset: in.Offset, Version: version, ProcessedAt: in.Now.UTC()}
	next := &schemas.Snapshot[S]{
		AggregateID: meta.AggregateID,
		Version:     version,
		LastOffset:  max(in.Offset, lastOffset(snap)),
		UpdatedAt:   in.Now.UTC(),
		Recent:      remember(snap, applied, in.Now, in.Committed),
		State:       state,
		// The adapter seals the events and moves it on to the last one's
		// hash (docs/adr/0021); without events it stays.
		LastHash: lastHash(snap),
	}
	res := resultOf(r.Type, meta, applied)
	res.EventIDs = ids
	res.ProcessedAt = in.Now.UTC()
	if version == 0 {
		// A command that produced no event on an aggregate that does not
		// exist leaves nothing to store.
		next = nil
	}
	return Outcome[S, E]{Events: events, Next: next, Result: res}, nil
}

// adopt merges a fresh decision with the events the log already holds for
// the command: logged events win position by position (same deterministic
// ids), decided events fill the positions the log lost; when the decision
// now differs (a rejection, or other events) the log still wins.
func adopt[E schemas.Event](commandID string, decided []E, err error, logged []E) ([]E, error) {
	if err != nil {
		return logged, nil
	}
	out := append([]E(nil), logged...)
	for i := len(logged); i < len(decided); i++ {
		if i > 0 && logged[len(logged)-1].EventMetadata().EventID != schemas.EventID(commandID, len(logged)-1) {
			break // the decision diverged from the log: keep only the log
		}
		out = append(out, decided[i])
	}
	return out, nil
}

func decide[S any, C schemas.Command, E schemas.Event](r Rules[S, C, E], current *S, version int64, in Input[C, E]) ([]E, error) {
	if ev := in.Command.CommandMetadata().ExpectedVersion; ev != nil && *ev != version {
		return nil, ErrVersionConflict
	}
	return r.Decide(current, in.Command, in.Facts)
}

// rejected records a rejection in the window of an existing aggregate, so a
// redelivery answers the same; a missing aggregate stores nothing.
func rejected[S any, C schemas.Command, E schemas.Event](typ string, snap *schemas.Snapshot[S], meta *schemas.CommandMeta, in Input[C, E], rej *Rejection) Outcome[S, E] {
	var version int64
	if snap != nil {
		version = snap.Version
	}
	offset, now := in.Offset, in.Now
	applied := schemas.Applied{
		CommandID: meta.CommandID, Offset: offset, Version: version, ProcessedAt: now.UTC(),
		RejectionCode: rej.Code, RejectionMessage: rej.Message, RejectionKind: string(rej.Kind),
	}
	out := Outcome[S, E]{Result: resultOf(typ, meta, applied)}
	out.Result.ProcessedAt = now.UTC()
	if snap != nil {
		next := *snap
		next.LastOffset = max(offset, snap.LastOffset)
		next.Recent = remember(snap, applied, now, in.Committed)
		out.Next = &next
	}
	return out
}

func resultOf(typ string, meta *schemas.CommandMeta, a schemas.Applied) schemas.CommandResult {
	return schemas.CommandResult{
		CommandID:     meta.CommandID,
		CorrelationID: correlation(meta),
		AggregateType: typ,
		AggregateID:   meta.AggregateID,
		Accepted:      a.RejectionCode == "",
		Version:       a.Version,
		EventIDs:      eventIDs(meta.CommandID, len(a.Events)),
		Code:          a.RejectionCode,
		Message:       a.RejectionMessage,
		Kind:          a.RejectionKind,
		ProcessedAt:   a.ProcessedAt,
	}
}

func eventIDs(commandID string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = schemas.EventID(commandID, i)
	}
	return ids
}

func correlation(meta *schemas.CommandMeta) string {
	if meta.CorrelationID != "" {
		return meta.CorrelationID
	}
	return meta.CommandID
}

func lastHash[S any](snap *schemas.Snapshot[S]) string {
	if snap == nil {
		return ""
	}
	return snap.LastHash
}

func lastOffset[S any](snap *schemas.Snapshot[S]) int64 {
	if snap == nil {
		return -1
	}
	return snap.LastOffset
}

// remember appends a to the window and trims it: entries older than
// RetryWindow go, except the last MinWindow; never more than MaxWindow.
// Entries below the committed offset forget their encoded events (see
// holdsEncodings).
func remember[S any](snap *schemas.Snapshot[S], a schemas.Applied, now time.Time, committed int64) []schemas.Applied {
	var recent []schemas.Applied
	if snap != nil {
		recent = snap.Recent
	}
	all := make([]schemas.Applied, 0, len(recent)+1)
	all = append(all, recent...)
	all = append(all, a)
	if len(all) > MaxWindow {
		all = all[len(all)-MaxWindow:]
	}
	cut := 0
	for cut < len(all)-MinWindow && now.Sub(all[cut].ProcessedAt) > RetryWindow {
		cut++
	}
	all = all[cut:]
	for i := range all {
		if a := all[i]; a.Offset >= 0 && a.Offset < committed && holdsEncodings(a) {
			all[i].Events = make([][]byte, len(all[i].Events))
		}
	}
	return all
}

// holdsEncodings tells whether a window entry still holds its encoded
// events: once its command is committed it keeps their count (a retried
// command answers the same event ids) with every encoding emptied at once.
func holdsEncodings(a schemas.Applied) bool {
	return len(a.Events) > 0 && len(a.Events[0]) > 0
}
