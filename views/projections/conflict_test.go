package projections

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/views/warehouse"
)

// row is a mallbots.events row of store s1 at version v with payload and hash.
func row(v uint64, payload, hash string) warehouse.Row {
	vals := make([]any, len(EventsTable.Columns))
	for i := range vals {
		vals[i] = ""
	}
	vals[colType], vals[colID], vals[colVersion] = "store", "s1", v
	vals[eventColumn("event_id")], vals[eventColumn("payload")], vals[eventColumn("hash")] = "e1", payload, hash
	vals[eventColumn("occurred_at_ms")] = uint64(1000)
	return warehouse.Row{Table: EventsTable.Name, Values: vals}
}

func TestTheEventsProjectionRefusesAChangedCopyOfAnEventItHolds(t *testing.T) {
	honest := row(1, `{"name":"Honest Store"}`, "aa")
	held := map[eventKey]string{keyOf(honest): contentOf(honest)}
	rows := []warehouse.Row{
		honest, // a redelivery: the same content, written again harmlessly
		row(1, `{"name":"Hacked Store"}`, "aa"),
		row(1, `{"name":"Honest Store"}`, "bb"),
		row(2, `{"name":"Next"}`, "cc"), // a new version
	}
	got := conflicts(rows, held)
	if len(got) != 2 || got[1] == nil || got[2] == nil || !strings.Contains(got[1].Error(), "store s1 v1") {
		t.Fatalf("refused %v; want rows 1 and 2 (other payload, other hash), naming store s1 v1", got)
	}
}

func TestTheEventsProjectionKeepsTheFirstOfTwoConflictingRowsInOneBatch(t *testing.T) {
	rows := []warehouse.Row{row(1, `{"name":"Honest Store"}`, "aa"), row(1, `{"name":"Hacked Store"}`, "aa")}
	if got := conflicts(rows, nil); len(got) != 1 || got[1] == nil {
		t.Fatalf("refused %v; want the second row only", got)
	}
}
