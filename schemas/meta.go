package schemas

import (
	"time"

	"github.com/google/uuid"
)

// CommandMeta is carried by every command, as top-level fields of its Avro
// record: embed it in each command struct.
type CommandMeta struct {
	// CommandID is the client-generated idempotency key.
	CommandID string `avro:"commandId"`
	// AggregateID is the target aggregate; it is also the record key.
	AggregateID string `avro:"aggregateId"`
	// CorrelationID ties a workflow together; it defaults to the command id.
	CorrelationID string `avro:"correlationId"`
	// CausationID is the event or command that caused this one, if any.
	CausationID string `avro:"causationId"`
	// ExpectedVersion, when set, rejects the command with a conflict if the
	// aggregate's version differs (optimistic concurrency).
	ExpectedVersion *int64 `avro:"expectedVersion"`
	// IssuedAt is when the command was issued (UTC, milliseconds).
	IssuedAt time.Time `avro:"issuedAt"`
	// IssuedBy and IssuerRole say who issued the command (docs/adr/0023):
	// the authenticated subject and role when the HTTP API sent it (taken
	// from the request's token, never from its body), a service's name and
	// ServiceRole when MallBots itself did, otherwise whatever the producer
	// wrote (its claim; Kafka authenticated only its principal, ADR 0020).
	// Added by v2 of every command (v3 of AddProduct); a command read from
	// an older version has both "".
	IssuedBy   string `avro:"issuedBy"`
	IssuerRole string `avro:"issuerRole"`
}

// ServiceRole is the IssuerRole of the commands MallBots' own components
// send (docs/adr/0023): the policies, the saga and the bot pool.
const ServiceRole = "service"

// The IssuedBy of the commands MallBots' own components send: the name of
// the component, as its Kafka principal is named (topics.PrincipalName).
const (
	IssuerPolicies = "mallbots-policies"
	IssuerSaga     = "mallbots-saga.createorder"
	IssuerBotPool  = "mallbots-botpool"
)

// Issue sets who issued the command.
func (m *CommandMeta) Issue(subject, role string) { m.IssuedBy, m.IssuerRole = subject, role }

// CommandMetadata gives access to the embedded metadata of any command.
func (m *CommandMeta) CommandMetadata() *CommandMeta { return m }

// Command is any command record.
type Command interface{ CommandMetadata() *CommandMeta }

// EventMeta is carried by every event, as top-level fields of its record.
type EventMeta struct {
	// EventID is derived from the command id and the event's index, so a
	// re-emitted event has the same id.
	EventID          string    `avro:"eventId"`
	AggregateID      string    `avro:"aggregateId"`
	AggregateVersion int64     `avro:"aggregateVersion"`
	OccurredAt       time.Time `avro:"occurredAt"`
	CommandID        string    `avro:"commandId"`
	CausationID      string    `avro:"causationId"`
	CorrelationID    string    `avro:"correlationId"`
	// IssuedBy and IssuerRole are copied from the command that caused the
	// event (aggregate.Execute), so they are part of the event's bytes and
	// of its hash (docs/adr/0023). Added by v3 of every event (v4 of
	// ProductAdded); an older event has both "".
	IssuedBy   string `avro:"issuedBy"`
	IssuerRole string `avro:"issuerRole"`
	// PrevHash and Hash chain the events of one aggregate (docs/adr/0021):
	// PrevHash is the Hash of the aggregate's previous event ("" for its
	// first chained one) and Hash the digest of this record's canonical
	// bytes (serde.Chain), lowercase hex. They are the last fields of every
	// event schema version that has them (v2 of the events published before
	// the chain); an event read from an older version has both "", and the
	// pure rules never set them: the engine seals each event as it encodes it.
	PrevHash string `avro:"prevHash"`
	Hash     string `avro:"hash"`
}

// EventMetadata gives access to the embedded metadata of any event.
func (m *EventMeta) EventMetadata() *EventMeta { return m }

// Event is any event record.
type Event interface{ EventMetadata() *EventMeta }

// eventNamespace makes event ids name-based UUIDs (version 5) of
// "<command id>/<index>".
var eventNamespace = uuid.MustParse("6f1d3c4e-7a52-4c7e-9a3e-3b9f0d6c2a10")

// EventID is the deterministic id of the index-th event of a command.
func EventID(commandID string, index int) string {
	return uuid.NewSHA1(eventNamespace, []byte(commandID+"/"+itoa(index))).String()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// Applied records one command an aggregate handled, with exactly what it
// produced, so that a redelivery re-emits the same events and result.
type Applied struct {
	CommandID string `avro:"commandId"`
	// Offset is the command's offset on its command topic partition.
	Offset int64 `avro:"offset"`
	// Version is the aggregate version after the command.
	Version int64 `avro:"version"`
	// ProcessedAt is when the aggregate handled it (wall clock).
	ProcessedAt time.Time `avro:"processedAt"`
	// Events are the encoded events (Confluent wire format) it appended.
	Events [][]byte `avro:"events"`
	// Rejection is set when the command was refused.
	RejectionCode    string `avro:"rejectionCode"`
	RejectionMessage string `avro:"rejectionMessage"`
	RejectionKind    string `avro:"rejectionKind"`
}

// Snapshot is the state-table record of one aggregate: its state, its
// version, and the window of recently applied commands.
type Snapshot[S any] struct {
	AggregateID string `avro:"aggregateId"`
	// Version is the number of events the aggregate has appended.
	Version int64 `avro:"version"`
	// LastOffset is the command-topic offset of the last command handled
	// (-1 before any): a redelivered command at or below it was handled.
	LastOffset int64     `avro:"lastOffset"`
	UpdatedAt  time.Time `avro:"updatedAt"`
	Recent     []Applied `avro:"recent"`
	State      S         `avro:"state"`
	// LastHash is the Hash of the aggregate's last event, the PrevHash of
	// its next one, so that an append costs one hash (docs/adr/0021); ""
	// before the aggregate's first chained event (a snapshot written before
	// the chain reads as "").
	LastHash string `avro:"lastHash"`
}

// Head is a snapshot without its window of recent commands: what a reader
// of the aggregate's state needs. Serde.DecodeInto skips the window of a
// Head it decodes instead of decoding it; the window is most of a
// snapshot's bytes and nearly all of its decoding cost.
type Head[S any] struct {
	AggregateID string    `avro:"aggregateId"`
	Version     int64     `avro:"version"`
	LastOffset  int64     `avro:"lastOffset"`
	UpdatedAt   time.Time `avro:"updatedAt"`
	State       S         `avro:"state"`
	LastHash    string    `avro:"lastHash"`
}

// Head returns the snapshot without its window.
func (s *Snapshot[S]) Head() *Head[S] {
	return &Head[S]{AggregateID: s.AggregateID, Version: s.Version, LastOffset: s.LastOffset,
		UpdatedAt: s.UpdatedAt, State: s.State, LastHash: s.LastHash}
}

// Find returns the recent command with the given id.
func (s *Snapshot[S]) Find(commandID string) (Applied, bool) {
	for _, a := range s.Recent {
		if a.CommandID == commandID {
			return a, true
		}
	}
	return Applied{}, false
}

// CommandResult is the outcome of one command, keyed by command id on
// mallbots.results.
type CommandResult struct {
	CommandID     string `avro:"commandId"`
	CorrelationID string `avro:"correlationId"`
	AggregateType string `avro:"aggregateType"`
	AggregateID   string `avro:"aggregateId"`
	Accepted      bool   `avro:"accepted"`
	// Version is the aggregate's version after the command (unchanged when
	// rejected; 0 when the aggregate does not exist).
	Version  int64    `avro:"version"`
	EventIDs []string `avro:"eventIds"`
	// Code, Message and Kind describe a rejection: a stable machine code, the
	// exact text of docs/domain.md, and its kind (invalid, not_found, conflict,
	// unauthorized).
	Code        string    `avro:"code"`
	Message     string    `avro:"message"`
	Kind        string    `avro:"kind"`
	ProcessedAt time.Time `avro:"processedAt"`
}

// derivedNamespace makes ids that other ids determine (a command a policy
// sends for an event, the shopping list of an order).
var derivedNamespace = uuid.MustParse("a7d3f1b2-5c4e-4f6a-9b8c-1d2e3f4a5b6c")

// DerivedID is a name-based UUID (version 5) of name: the same name, the
// same id, so whatever is derived again after a redelivery is recognised.
func DerivedID(name string) string { return uuid.NewSHA1(derivedNamespace, []byte(name)).String() }

// Versioned is the aggregate's version, for consumers that handle
// snapshots of any aggregate.
func (s *Snapshot[S]) Versioned() int64 { return s.Version }
