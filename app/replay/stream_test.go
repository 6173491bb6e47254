package replay

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The specifications of the fold and its guard, on synthetic streams of
// one order's events in log order (offset = position in the list).

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func orderKind(t *testing.T) kind {
	t.Helper()
	k, err := find("order")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// meta is the metadata of the order's event v, written by command cmd with
// event id id, occurring v seconds after t0.
func meta(v int64, id, cmd string) schemas.EventMeta {
	return schemas.EventMeta{EventID: id, AggregateID: "o1", AggregateVersion: v, OccurredAt: t0.Add(time.Duration(v) * time.Second), CommandID: cmd}
}

func created(v int64, id string) schemas.Event {
	return &ordering.OrderCreated{EventMeta: meta(v, id, "c-"+id), CustomerID: "cu", PaymentID: "pa", TotalCents: 999,
		Items: []ordering.OrderItem{{ProductID: "p", StoreID: "s", PriceCents: 999, Quantity: 1}}}
}
func approved(v int64, id string) schemas.Event {
	return &ordering.OrderApproved{EventMeta: meta(v, id, "c-"+id), ShoppingListID: "sl"}
}
func rejected(v int64, id string) schemas.Event {
	return &ordering.OrderRejected{EventMeta: meta(v, id, "c-"+id), Reason: "no"}
}
func readied(v int64, id string) schemas.Event {
	return &ordering.OrderReadied{EventMeta: meta(v, id, "c-"+id)}
}
func completed(v int64, id string) schemas.Event {
	return &ordering.OrderCompleted{EventMeta: meta(v, id, "c-"+id), InvoiceID: "o1"}
}

// fold runs a fresh stream over events and finishes it.
func fold(t *testing.T, s *stream, events ...schemas.Event) *stream {
	t.Helper()
	for i, ev := range events {
		s.add(logged{ev: ev, raw: []byte{byte(i)}, pos: serde.Position{Topic: topics.Orders.Events.Name, Partition: 0, Offset: int64(i)}})
	}
	s.finish()
	return s
}

func status(s *stream) string { return s.state.(ordering.Order).Status }

func problems(s *stream) []Problem {
	var out []Problem
	for _, p := range s.problems {
		out = append(out, p.Problem)
	}
	return out
}

func expectProblems(t *testing.T, s *stream, want ...Problem) {
	t.Helper()
	got := problems(s)
	if strings.Join(toStrings(got), ",") != strings.Join(toStrings(want), ",") {
		t.Fatalf("problems %v, want %v: %v", got, want, s.problems)
	}
}

func toStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func TestVersions1ToNFoldToTheAggregatesState(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), approved(2, "e2"), readied(3, "e3"), completed(4, "e4"))
	expectProblems(t, s)
	if s.version != 4 || s.applied != 4 || status(s) != "completed" || !s.lastAt.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("version %d applied %d status %s at %s; want 4, 4, completed at t0+4s", s.version, s.applied, status(s), s.lastAt)
	}
}

func TestARedeliveredCopyOfAnEventIsSkippedAndCounted(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), approved(2, "e2"), approved(2, "e2"), readied(3, "e3"), readied(3, "e3"))
	expectProblems(t, s)
	if s.duplicates != 2 || s.version != 3 || status(s) != "ready" {
		t.Fatalf("duplicates %d, version %d, status %s; want 2, 3, ready", s.duplicates, s.version, status(s))
	}
}

// A byte-identical copy logged after a later version is no redelivery's:
// the engine re-emits a redelivered command's events only while the log
// lacks them (docs/adr/0004), before any later command of the aggregate.
// Appended by another writer (the tamper scenario's "reordered" event),
// it is reported where it stands, not counted as a duplicate.
func TestACopyLoggedAfterALaterVersionIsReportedOutOfOrder(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), approved(2, "e2"), readied(3, "e3"), approved(2, "e2"))
	expectProblems(t, s, ProblemOrder)
	if s.duplicates != 0 || s.version != 3 || status(s) != "ready" {
		t.Fatalf("duplicates %d, version %d, status %s; want 0, 3, ready", s.duplicates, s.version, status(s))
	}
}

func TestTwoDifferentEventsWithOneVersionAreAConflict(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), approved(2, "e2"), rejected(2, "other"))
	expectProblems(t, s, ProblemConflict)
	if d := s.problems[0].Detail; !strings.Contains(d, "v2 is event other here and event e2 at offset 1") {
		t.Fatalf("the conflict must name both events: %s", d)
	}
	if status(s) != "approved" {
		t.Fatalf("the first event of a version wins the fold: status %s, want approved", status(s))
	}
}

func TestAMissingVersionIsAGap(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), approved(2, "e2"), completed(4, "e4"))
	expectProblems(t, s, ProblemGap)
	if d := s.problems[0].Detail; !strings.Contains(d, "v3..v3 are missing") {
		t.Fatalf("the gap must name the missing versions: %s", d)
	}
	if s.version != 2 || status(s) != "approved" {
		t.Fatalf("the fold stops before the gap: version %d status %s", s.version, status(s))
	}
}

func TestAVersionLoggedAfterALaterOneIsOutOfOrderButFoldsInVersionOrder(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), readied(3, "e3"), approved(2, "e2"))
	expectProblems(t, s, ProblemOrder)
	if s.version != 3 || status(s) != "ready" {
		t.Fatalf("version %d status %s, want 3 ready", s.version, status(s))
	}
}

func TestAVersionBelowOneIsAProblem(t *testing.T) {
	s := fold(t, newStream(orderKind(t), "o1"), created(0, "e0"))
	expectProblems(t, s, ProblemVersion)
}

func TestAnEventTheRulesRefuseHaltsTheFold(t *testing.T) {
	store := &stores.StoreCreated{EventMeta: meta(2, "e2", "c"), Name: "x"}
	s := fold(t, newStream(orderKind(t), "o1"), created(1, "e1"), store, readied(3, "e3"))
	expectProblems(t, s, ProblemEvolve)
	if s.applied != 1 || s.version != 3 {
		t.Fatalf("applied %d version %d: the guard goes on (3 versions), the fold stops at v1", s.applied, s.version)
	}
}

func TestUntilGivesTheStateAtThatInstant(t *testing.T) {
	events := []schemas.Event{created(1, "e1"), approved(2, "e2"), readied(3, "e3"), completed(4, "e4")}
	for _, c := range []struct {
		at      time.Duration
		version int64
		status  string
	}{
		{999 * time.Millisecond, 0, ""},
		{time.Second, 1, "pending"}, // an event belongs to its own instant
		{2500 * time.Millisecond, 2, "approved"},
		{3 * time.Second, 3, "ready"},
		{time.Hour, 4, "completed"},
	} {
		s := newStream(orderKind(t), "o1")
		s.until = t0.Add(c.at)
		fold(t, s, events...)
		got := ""
		if s.applied > 0 {
			got = status(s)
		}
		if s.applied != c.version || got != c.status || s.version != 4 {
			t.Errorf("at t0+%s: v%d %q (of %d); want v%d %q (of 4)", c.at, s.applied, got, s.version, c.version, c.status)
		}
	}
}

func TestARebuiltWindowHoldsTheLastCommandsEventsWithoutOffsets(t *testing.T) {
	s := newStream(orderKind(t), "o1")
	s.keepRecent = true
	events := []schemas.Event{created(1, "e1")}
	for v := int64(2); v <= 30; v++ {
		events = append(events, approved(v, fmt.Sprint("e", v)))
	}
	// Two events of one command share an entry.
	last := readied(31, "e31")
	last.EventMetadata().CommandID = "c-e30"
	fold(t, s, append(events, last)...)
	if len(s.recent) != aggregate.MinWindow {
		t.Fatalf("window of %d commands, want the last %d", len(s.recent), aggregate.MinWindow)
	}
	w := s.recent[len(s.recent)-1]
	if w.CommandID != "c-e30" || w.Version != 31 || len(w.Events) != 2 || w.Offset != -1 || !w.ProcessedAt.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("last window entry %+v: want command c-e30 at v31 with its 2 events, offset -1 (unknown), processed when its first event occurred", w)
	}
}
