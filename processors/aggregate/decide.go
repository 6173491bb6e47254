package aggregate

import (
	"strings"

	"github.com/mallbots/mallbots/schemas"
)

// The rejections that more than one aggregate gives, declared once with the
// exact texts of docs/domain.md; each context names them in its own
// rejections (as with the limits package's).
var (
	// ErrCustomerIDBlank refuses a basket, an order or a payment without
	// its customer.
	ErrCustomerIDBlank = CannotBeBlank("customer id")
	// ErrPaymentIDBlank refuses a checkout or an order without its payment.
	ErrPaymentIDBlank = CannotBeBlank("payment id")
	// ErrCustomerNotFound is the customers context's text and code, given
	// too where another aggregate needs a registered customer.
	ErrCustomerNotFound = DoesNotExist("customer")
)

// Blank tells whether a required text is missing: empty or white space only.
func Blank(s string) bool { return strings.TrimSpace(s) == "" }

// One is the events of a rule that appends the one event e.
func One[E any](e E) []E { return []E{e} }

// A Check is one refusal of a rule: Err when Fails holds.
type Check struct {
	Fails bool
	Err   *Rejection
}

// When is the check that refuses with err when fails holds.
func When(fails bool, err *Rejection) Check { return Check{Fails: fails, Err: err} }

// Refuse returns the rejection of the first check that fails, in order, and
// nil when none does. The checks are evaluated before the call, so none may
// rely on an earlier one to hold (a nil state, say): such a rule keeps its
// own switch.
func Refuse(checks ...Check) error {
	for _, c := range checks {
		if c.Fails {
			return c.Err
		}
	}
	return nil
}

// Emit is the answer of a rule that appends the one event e unless one of
// the checks fails (the first that does is the rejection).
func Emit[E any](e E, checks ...Check) ([]E, error) {
	if err := Refuse(checks...); err != nil {
		return nil, err
	}
	return []E{e}, nil
}

// Sees is the Needs of rules whose command K sees one other aggregate: the
// one key(c) names in table, unless blank (the rule then refuses the blank
// id without a lookup).
func Sees[C schemas.Command, K any](table string, key func(K) string) func(C, Facts) []Ref {
	return func(cmd C, _ Facts) []Ref {
		if c, ok := any(cmd).(K); ok && !Blank(key(c)) {
			return []Ref{{Table: table, Key: key(c)}}
		}
		return nil
	}
}

// Lifecycle is the decide of an aggregate that one command type K creates:
// K on a missing aggregate runs create, and is refused with exists when the
// aggregate is there; any other command is refused with notFound on a
// missing aggregate and runs change on an existing one. Every aggregate
// with a creating command answers so; the rules then hold only what is
// their own.
func Lifecycle[S any, C schemas.Command, E schemas.Event, K any](
	exists, notFound *Rejection,
	create func(c K, facts Facts) ([]E, error),
	change func(current *S, cmd C, facts Facts) ([]E, error),
) func(*S, C, Facts) ([]E, error) {
	return func(current *S, cmd C, facts Facts) ([]E, error) {
		if c, ok := any(cmd).(K); ok {
			if current != nil {
				return nil, exists
			}
			return create(c, facts)
		}
		if current == nil {
			return nil, notFound
		}
		return change(current, cmd, facts)
	}
}
