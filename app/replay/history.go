package replay

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// Point is one aggregate as the log says it was at an instant.
type Point struct {
	Type string    `json:"type"`
	ID   string    `json:"id"`
	At   time.Time `json:"at"`
	// Version is the number of the aggregate's events that had occurred by
	// At; LatestVersion the number it has now.
	Version       int64 `json:"version"`
	LatestVersion int64 `json:"latestVersion"`
	// OccurredAt is when the last of those events occurred.
	OccurredAt time.Time `json:"occurredAt"`
	// Changes are those events, oldest first: what happened, when, and who
	// issued the command that caused it (docs/adr/0023).
	Changes []Change `json:"changes"`
	// State is the aggregate's state record as the contract spells it
	// (schemas/<context>: field names of the Avro schema, money in cents).
	State map[string]any `json:"state"`
	// Partition and Scanned say what was read to answer: the one event
	// partition the id hashes to, from its start.
	Partition int32         `json:"partition"`
	Scanned   int64         `json:"scannedRecords"`
	Took      time.Duration `json:"-"`
}

// Change is one event of an aggregate's history.
type Change struct {
	Version    int64     `json:"version"`
	Event      string    `json:"event"` // the record's name, e.g. ProductPriceIncreased
	OccurredAt time.Time `json:"occurredAt"`
	CommandID  string    `json:"commandId"`
	// IssuedBy and IssuerRole name who issued the command (docs/adr/0023):
	// the caller's subject and role when the HTTP API sent it, a service
	// when MallBots did, the producer's claim otherwise; "" for an event
	// written before the fields existed.
	IssuedBy   string `json:"issuedBy"`
	IssuerRole string `json:"issuerRole"`
	// Payload is the event's own fields, as the warehouse's events table
	// holds them (schemas.PayloadNative).
	Payload map[string]any `json:"payload"`
	// PrevHash and Hash chain the aggregate's events (docs/adr/0021); ""
	// for an event written before the chain.
	PrevHash string `json:"prevHash"`
	Hash     string `json:"hash"`
}

func changeOf(version int64, ev schemas.Event) Change {
	m := ev.EventMetadata()
	payload, err := schemas.PayloadNative(ev)
	if err != nil { // every event of the contract maps: its codec was built from the same struct
		payload = map[string]any{"error": err.Error()}
	}
	return Change{
		Version: version, Event: reflect.TypeOf(ev).Elem().Name(), OccurredAt: m.OccurredAt,
		CommandID: m.CommandID, IssuedBy: m.IssuedBy, IssuerRole: m.IssuerRole,
		Payload: payload, PrevHash: m.PrevHash, Hash: m.Hash,
	}
}

// NotYetError says the aggregate had no event at the instant asked.
type NotYetError struct {
	Type, ID string
	At       time.Time
	// First is when its first event occurred; zero when it has none.
	First time.Time
}

func (e *NotYetError) Error() string {
	if e.First.IsZero() {
		return fmt.Sprintf("%s %s has no event in the log", e.Type, e.ID)
	}
	return fmt.Sprintf("%s %s did not exist yet at %s: its first event occurred at %s",
		e.Type, e.ID, e.At.UTC().Format(time.RFC3339Nano), e.First.UTC().Format(time.RFC3339Nano))
}

// UnsoundLogError says the aggregate's own log breaks its promises, so no
// state can be trusted from it.
type UnsoundLogError struct{ Problems []Discrepancy }

func (e *UnsoundLogError) Error() string {
	return fmt.Sprintf("the log of %s %s is not sound (%s); run `mallbots verify`", e.Problems[0].Type, e.Problems[0].ID, e.Problems[0])
}

// AsOf folds one aggregate's events that had occurred by at (inclusive):
// its state and version at that instant, from the log alone. typ is an
// aggregate type or group (UnknownTypeError otherwise); an aggregate with
// no event by then is a NotYetError.
//
// The aggregate's events all live on the one partition its id hashes to
// (murmur2), so only that partition is read, from its start to its end
// now, decoding only the id's records. That is a scan of 1/8 of the
// type's log per call: fine at this scale (docs/adr/0010 gives the
// figure); an index of (id → offsets) is the next step if it is not.
func (l *Log) AsOf(ctx context.Context, typ, id string, at time.Time) (*Point, error) {
	k, err := find(typ)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	f, err := l.foldLog(ctx, k, foldOptions{only: id, until: at})
	if err != nil {
		return nil, err
	}
	a := k.names()
	s := f.streams[id]
	if s != nil && !s.sound() {
		return nil, &UnsoundLogError{Problems: s.problems}
	}
	if s == nil || s.applied == 0 {
		e := &NotYetError{Type: a.Type, ID: id, At: at}
		if s != nil {
			e.First = s.firstAt
		}
		return nil, e
	}
	state, err := schemas.PayloadNative(s.state)
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", a.Type, id, err)
	}
	return &Point{
		Type: a.Type, ID: id, At: at, Version: s.applied, LatestVersion: s.version,
		OccurredAt: s.lastAt, State: state, Changes: s.changes,
		Partition: topics.PartitionFor(id, a.Events.Partitions), Scanned: f.records, Took: time.Since(start),
	}, nil
}
