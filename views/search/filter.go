package search

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Limits of a Request.
const (
	// DefaultLimit is the page size when a Request does not set one.
	DefaultLimit = 20
	// MaxLimit is the largest page a Request may ask for.
	MaxLimit = 100
	// MaxIDs bounds StoreIDs and ProductIDs, each.
	MaxIDs = 100
)

// Statuses are the order status words of docs/domain.md, in lifecycle order.
var Statuses = []string{"pending", "approved", "ready", "completed", "rejected", "canceled"}

// Filter selects orders. Every field is optional (its zero value does not
// filter) and the fields are AND-ed.
type Filter struct {
	// CustomerID is the ordering customer's id (a UUID).
	CustomerID string
	// CreatedAfter and CreatedBefore bound the creation time: after
	// inclusive, before exclusive, at millisecond precision (a finer time is
	// rounded up to the next millisecond, so the bounds keep their meaning).
	// Orders whose creation time is unknown (created_at_ms = 0) match no
	// time bound.
	CreatedAfter, CreatedBefore time.Time
	// StoreIDs and ProductIDs match orders with an item of any of them.
	StoreIDs, ProductIDs []string
	// MinTotal and MaxTotal bound the total, in cents, both inclusive.
	MinTotal, MaxTotal *int64
	// Status is one of Statuses: the order's current status.
	Status string
}

// Request is one page of a search.
type Request struct {
	Filter
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// Cursor is the Next of the previous page, as given; empty for the
	// first page. A cursor is valid only with the filters of the search
	// that returned it (the limit may change).
	Cursor string
}

// Problem is one thing wrong with a request, named by its field as the
// HTTP API spells it.
type Problem struct {
	Field, Message string
}

// BadRequest is every problem of a request. The search refuses such a
// request without asking ClickHouse.
type BadRequest []Problem

func (b BadRequest) Error() string {
	parts := make([]string, len(b))
	for i, p := range b {
		parts[i] = p.Field + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

func (b *BadRequest) add(field, format string, args ...any) {
	*b = append(*b, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Validate returns every problem of r (none: nil).
func (r Request) Validate() BadRequest {
	_, bad := r.compile()
	return bad
}

// page is a validated Request: what the SQL is built from.
type page struct {
	Filter
	limit int
	after *key // nil on the first page
	// exact compares ids as strings rather than by key: slower, needed
	// only when two ids share a key (see Querier.Search).
	exact bool
}

// compile validates r and resolves its defaults and cursor.
func (r Request) compile() (page, BadRequest) {
	bad := r.Filter.validate()
	p := page{Filter: r.Filter, limit: r.Limit}
	if p.limit == 0 {
		p.limit = DefaultLimit
	}
	if p.limit < 1 || p.limit > MaxLimit {
		bad.add("limit", "must be between 1 and %d, got %d", MaxLimit, r.Limit)
	}
	if r.Cursor != "" {
		k, err := decodeCursor(r.Cursor, r.Filter.fingerprint())
		if err != nil {
			bad.add("cursor", "%v", err)
		}
		p.after = k
	}
	if len(bad) > 0 {
		return page{}, bad
	}
	return p, nil
}

func (f Filter) validate() BadRequest {
	var bad BadRequest
	if f.CustomerID != "" && !isUUID(f.CustomerID) {
		bad.add("customerId", "must be a UUID, got %q", f.CustomerID)
	}
	if !f.CreatedAfter.IsZero() && !f.CreatedBefore.IsZero() && f.CreatedAfter.After(f.CreatedBefore) {
		bad.add("createdAfter", "%s is later than createdBefore %s", f.CreatedAfter.Format(time.RFC3339Nano), f.CreatedBefore.Format(time.RFC3339Nano))
	}
	for _, b := range []struct {
		field string
		t     time.Time
	}{{"createdAfter", f.CreatedAfter}, {"createdBefore", f.CreatedBefore}} {
		if !b.t.IsZero() && b.t.UnixMilli() < 0 {
			bad.add(b.field, "must not be before 1970-01-01T00:00:00Z, got %s", b.t.Format(time.RFC3339Nano))
		}
	}
	ids(&bad, "storeIds", f.StoreIDs)
	ids(&bad, "productIds", f.ProductIDs)
	for _, m := range []struct {
		field string
		cents *int64
	}{{"minTotal", f.MinTotal}, {"maxTotal", f.MaxTotal}} {
		if m.cents != nil && *m.cents < 0 {
			bad.add(m.field, "must not be negative, got %s", decimalText(*m.cents))
		}
	}
	if f.MinTotal != nil && f.MaxTotal != nil && *f.MinTotal > *f.MaxTotal {
		bad.add("minTotal", "%s is more than maxTotal %s", decimalText(*f.MinTotal), decimalText(*f.MaxTotal))
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		bad.add("status", "unknown status %q: use one of %s", f.Status, strings.Join(Statuses, ", "))
	}
	return bad
}

func ids(bad *BadRequest, field string, list []string) {
	if len(list) > MaxIDs {
		bad.add(field, "at most %d ids, got %d", MaxIDs, len(list))
		return
	}
	for i, id := range list {
		if !isUUID(id) {
			bad.add(fmt.Sprintf("%s[%d]", field, i), "must be a UUID, got %q", id)
		}
	}
}

// isUUID accepts the 36-character form (xxxxxxxx-xxxx-…), not the braced
// or urn: spellings uuid.Parse also takes: ids are matched as the text
// they were created with.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// decimalText writes cents as a decimal: 1999 → "19.99".
func decimalText(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
