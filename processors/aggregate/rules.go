// Package aggregate is the pure core every aggregate runs on: business rules
// as decide/evolve functions, rejections with stable codes and exact texts,
// and Execute, which turns one command and the current snapshot into what
// must be written and emitted (deduplication, optimistic concurrency,
// versions, event metadata, the window of recent commands). It does no I/O
// and imports neither goka nor Kafka; processors/engine runs it on goka.
package aggregate

import (
	"strings"

	"github.com/mallbots/mallbots/schemas"
)

// Kind classifies a rejection; the HTTP API maps it to a status code.
type Kind string

// The kinds of rejection.
const (
	Invalid      Kind = "invalid"      // 400
	NotFound     Kind = "not_found"    // 404
	Conflict     Kind = "conflict"     // 409
	Unauthorized Kind = "unauthorized" // 401
)

// Rejection is a business rule refusing a command. It changes no state and
// appends no event; its Message is the exact text of docs/domain.md.
type Rejection struct {
	Code    string
	Message string
	Kind    Kind
}

func (r *Rejection) Error() string { return r.Message }

// Reject declares a rejection. Declare each once, as a package variable, and
// return it from decide; compare with errors.Is.
func Reject(kind Kind, code, message string) *Rejection {
	return &Rejection{Code: code, Message: message, Kind: kind}
}

// The rejections every aggregate words alike (docs/domain.md): their code
// and text follow from the aggregate's or the field's name, written here
// once so that no aggregate words them its own way. A rejection whose text
// breaks the pattern (the domain's own wording) is declared with Reject.

// AlreadyExists refuses a command that would create an aggregate already
// there: "<noun>_exists", "the <noun> already exists".
func AlreadyExists(noun string) *Rejection {
	return Reject(Invalid, code(noun)+"_exists", "the "+noun+" already exists")
}

// DoesNotExist refuses a command on an aggregate that does not exist:
// "<noun>_not_found", "the <noun> does not exist".
func DoesNotExist(noun string) *Rejection {
	return Reject(NotFound, code(noun)+"_not_found", "the "+noun+" does not exist")
}

// CannotBeBlank refuses a command without a required text: "<field>_blank",
// "the <field> cannot be blank".
func CannotBeBlank(field string) *Rejection {
	return Reject(Invalid, code(field)+"_blank", "the "+field+" cannot be blank")
}

// CannotBe refuses a transition the aggregate's status does not allow:
// "<noun>_cannot_be_<done>", "the <noun> cannot be <done>".
func CannotBe(noun, done string) *Rejection {
	return Reject(Invalid, code(noun)+"_cannot_be_"+done, "the "+noun+" cannot be "+done)
}

// MustBePositive refuses a number of zero or less: "<field>_not_positive",
// "the <field> must be positive".
func MustBePositive(field string) *Rejection {
	return Reject(Invalid, code(field)+"_not_positive", "the "+field+" must be positive")
}

// CannotExceed refuses a number past its limit, given as the text writes
// it (limits.Amount, limits.Count): "<field>_too_large", "the <field>
// cannot exceed <limit>".
func CannotExceed(field, limit string) *Rejection {
	return Reject(Invalid, code(field)+"_too_large", "the "+field+" cannot exceed "+limit)
}

// code writes a name as a code: "shopping list" → "shopping_list".
func code(name string) string { return strings.ReplaceAll(name, " ", "_") }

// ErrVersionConflict rejects a command whose expectedVersion is not the
// aggregate's version.
var ErrVersionConflict = Reject(Conflict, "version_conflict", "the aggregate has moved on: reload it and retry with its current version")

// Ref names another aggregate's state that a command needs to see: a key in
// another group's table, read through goka Lookup before decide runs.
type Ref struct {
	Table string
	Key   string
}

// Facts are the referenced states, looked up by the adapter. A value is the
// decoded snapshot, or nil when the key is absent.
type Facts map[Ref]any

// State returns the state of a referenced aggregate and whether it exists.
func State[S any](f Facts, table, key string) (S, bool) {
	snap, ok := f[Ref{Table: table, Key: key}].(*schemas.Snapshot[S])
	if !ok || snap == nil || snap.Version == 0 {
		var zero S
		return zero, false
	}
	return snap.State, true
}

// Rules are an aggregate's business rules.
type Rules[S any, C schemas.Command, E schemas.Event] struct {
	// Type is the aggregate type ("store").
	Type string
	// Needs lists the other aggregates a command must see (optional). It is
	// asked again with the facts found so far until it asks for nothing new,
	// so a rule can follow a reference (a basket item's product, then that
	// product's store).
	Needs func(cmd C, facts Facts) []Ref
	// Decide returns the events a command produces, or a *Rejection.
	// current is nil when the aggregate does not exist yet.
	Decide func(current *S, cmd C, facts Facts) ([]E, error)
	// Evolve applies one event. An event it does not know is an error: a
	// broken invariant, not a business rule.
	Evolve func(state S, ev E) (S, error)
}
