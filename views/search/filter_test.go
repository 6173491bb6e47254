package search

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/processors/ordering"
)

const (
	aCustomer = "7a1d2c3e-0000-4000-8000-000000000001"
	aStore    = "7a1d2c3e-0000-4000-8000-000000000002"
	aProduct  = "7a1d2c3e-0000-4000-8000-000000000003"
)

func money(c int64) *int64 { return &c }

func TestTheStatusWordsAreTheOrderingContexts(t *testing.T) {
	want := []string{ordering.StatusPending, ordering.StatusApproved, ordering.StatusReady,
		ordering.StatusCompleted, ordering.StatusRejected, ordering.StatusCanceled}
	if !slices.Equal(Statuses, want) {
		t.Fatalf("Statuses = %v, the ordering context has %v", Statuses, want)
	}
}

func TestAnEmptyRequestIsTheFirstPageOfEveryOrder(t *testing.T) {
	p, bad := Request{}.compile()
	if bad != nil {
		t.Fatalf("unexpected problems: %v", bad)
	}
	if p.limit != DefaultLimit || p.after != nil {
		t.Fatalf("want limit %d and no cursor, got %+v", DefaultLimit, p)
	}
}

func TestEveryFilterTogetherIsValid(t *testing.T) {
	r := Request{Filter: Filter{
		CustomerID:   aCustomer,
		CreatedAfter: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), CreatedBefore: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		StoreIDs: []string{aStore}, ProductIDs: []string{aProduct},
		MinTotal: money(100), MaxTotal: money(100), Status: "completed",
	}, Limit: MaxLimit}
	if bad := r.Validate(); bad != nil {
		t.Fatalf("unexpected problems: %v", bad)
	}
}

// Each bad filter is refused with a message that names it.
func TestABadFilterIsRefusedNamingIt(t *testing.T) {
	jan, feb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		req   Request
		field string
		says  string
	}{
		{"unknown status word", Request{Filter: Filter{Status: "cancelled"}}, "status", `unknown status "cancelled"`},
		{"customer id not a UUID", Request{Filter: Filter{CustomerID: "john"}}, "customerId", "must be a UUID"},
		{"braced UUID", Request{Filter: Filter{CustomerID: "{" + aCustomer + "}"}}, "customerId", "must be a UUID"},
		{"store id not a UUID", Request{Filter: Filter{StoreIDs: []string{aStore, "x' OR 1=1 --"}}}, "storeIds[1]", "must be a UUID"},
		{"product id not a UUID", Request{Filter: Filter{ProductIDs: []string{""}}}, "productIds[0]", "must be a UUID"},
		{"too many store ids", Request{Filter: Filter{StoreIDs: slices.Repeat([]string{aStore}, MaxIDs+1)}}, "storeIds", "at most 100 ids"},
		{"createdAfter later than createdBefore", Request{Filter: Filter{CreatedAfter: feb, CreatedBefore: jan}}, "createdAfter", "later than createdBefore"},
		{"a time before 1970", Request{Filter: Filter{CreatedBefore: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)}}, "createdBefore", "before 1970"},
		{"minTotal more than maxTotal", Request{Filter: Filter{MinTotal: money(1000), MaxTotal: money(999)}}, "minTotal", "10.00 is more than maxTotal 9.99"},
		{"negative total", Request{Filter: Filter{MaxTotal: money(-1)}}, "maxTotal", "must not be negative, got -0.01"},
		{"limit above the maximum", Request{Limit: MaxLimit + 1}, "limit", "between 1 and 100"},
		{"negative limit", Request{Limit: -1}, "limit", "between 1 and 100"},
		{"cursor not base64", Request{Cursor: "not a cursor!"}, "cursor", "malformed"},
		{"cursor not JSON", Request{Cursor: "bm90IGpzb24"}, "cursor", "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.req.Validate()
			if len(bad) != 1 || bad[0].Field != tc.field || !strings.Contains(bad[0].Message, tc.says) {
				t.Fatalf("want one problem with %s saying %q, got %v", tc.field, tc.says, bad)
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	bad := Request{Filter: Filter{CustomerID: "john", Status: "lost"}, Limit: 1000}.Validate()
	var fields []string
	for _, p := range bad {
		fields = append(fields, p.Field)
	}
	if !slices.Equal(fields, []string{"customerId", "status", "limit"}) {
		t.Fatalf("want customerId, status and limit, got %v", bad)
	}
	if msg := bad.Error(); !strings.HasPrefix(msg, `customerId: must be a UUID, got "john"; status: unknown status "lost"`) {
		t.Fatalf("message %q", msg)
	}
}

func TestEqualTimeBoundsAreAnEmptyWindowNotAnError(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if bad := (Request{Filter: Filter{CreatedAfter: at, CreatedBefore: at}}).Validate(); bad != nil {
		t.Fatalf("unexpected problems: %v", bad)
	}
}
