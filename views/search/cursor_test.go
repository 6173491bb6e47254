package search

import (
	"strings"
	"testing"
	"time"
)

func TestACursorBringsBackTheKeyOfTheLastRow(t *testing.T) {
	f := Filter{Status: "ready"}
	k := key{CreatedMs: 1767225600123, OrderID: aCustomer}
	got, err := decodeCursor(encodeCursor(k, f.fingerprint()), f.fingerprint())
	if err != nil || *got != k {
		t.Fatalf("got %+v, %v; want %+v", got, err, k)
	}
}

func TestACursorIsOpaqueAndURLSafe(t *testing.T) {
	c := encodeCursor(key{CreatedMs: 1, OrderID: aCustomer}, Filter{}.fingerprint())
	if strings.ContainsAny(c, "+/=\"{} ") || strings.Contains(c, aCustomer) {
		t.Fatalf("cursor %q shows its insides or needs escaping", c)
	}
}

func TestACursorIsRefusedWithOtherFilters(t *testing.T) {
	c := encodeCursor(key{CreatedMs: 1, OrderID: aCustomer}, Filter{Status: "ready"}.fingerprint())
	bad := Request{Filter: Filter{Status: "completed"}, Cursor: c}.Validate()
	if len(bad) != 1 || bad[0].Field != "cursor" || !strings.Contains(bad[0].Message, "other filters") {
		t.Fatalf("want a cursor problem naming the other filters, got %v", bad)
	}
}

func TestACursorSurvivesAChangeOfLimit(t *testing.T) {
	f := Filter{Status: "ready"}
	c := encodeCursor(key{CreatedMs: 1, OrderID: aCustomer}, f.fingerprint())
	if bad := (Request{Filter: f, Cursor: c, Limit: 7}).Validate(); bad != nil {
		t.Fatalf("unexpected problems: %v", bad)
	}
}

// The same search spelled differently (ids in another order, repeated) is
// the same search.
func TestTheFingerprintIgnoresTheOrderOfIds(t *testing.T) {
	a := Filter{StoreIDs: []string{aStore, aProduct}}
	b := Filter{StoreIDs: []string{aProduct, aStore, aProduct}}
	if a.fingerprint() != b.fingerprint() {
		t.Fatal("the same set of store ids has two fingerprints")
	}
}

func TestEveryFilterTakesPartInTheFingerprint(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]string{Filter{}.fingerprint(): "no filter"}
	for name, f := range map[string]Filter{
		"customer": {CustomerID: aCustomer}, "after": {CreatedAfter: at}, "before": {CreatedBefore: at},
		"stores": {StoreIDs: []string{aStore}}, "products": {ProductIDs: []string{aStore}},
		"min": {MinTotal: money(1)}, "max": {MaxTotal: money(1)}, "status": {Status: "ready"},
	} {
		fp := f.fingerprint()
		if other, dup := seen[fp]; dup {
			t.Errorf("%s has the fingerprint of %s", name, other)
		}
		seen[fp] = name
	}
}
