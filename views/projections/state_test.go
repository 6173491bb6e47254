package projections_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
)

// customerSnapshot is a customer's snapshot whose window holds n recent
// commands, each with an encoded event, as the aggregate writes them.
func customerSnapshot(tb testing.TB, version int64, n int) *customers.CustomerSnapshot {
	sd, _ := testkit.Serde(tb)
	now := time.Date(2026, 12, 7, 18, 4, 5, 0, time.UTC)
	id := "8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01"
	ev, err := sd.Encode(topics.Customers.Events.Name, &customers.CustomerSmsChanged{
		EventMeta: schemas.EventMeta{EventID: id, AggregateID: id, AggregateVersion: version, OccurredAt: now, CommandID: id}, SMSNumber: "555-0199"})
	if err != nil {
		tb.Fatal(err)
	}
	s := &customers.CustomerSnapshot{AggregateID: id, Version: version, LastOffset: 99, UpdatedAt: now.Add(700 * time.Millisecond),
		State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0199", Enabled: true}}
	for i := range n {
		s.Recent = append(s.Recent, schemas.Applied{CommandID: fmt.Sprint(i), Offset: int64(i), Version: int64(i + 1), ProcessedAt: now, Events: [][]byte{ev}})
	}
	return s
}

func stateRows(tb testing.TB, s *customers.CustomerSnapshot) []warehouse.Row {
	sd, _ := testkit.Serde(tb)
	b, err := sd.Encode(topics.Customers.Table.Name, s)
	if err != nil {
		tb.Fatal(err)
	}
	rows, err := projections.State(sd).Map(&kgo.Record{Topic: topics.Customers.Table.Name, Partition: 2, Offset: 5, Value: b})
	if err != nil {
		tb.Fatalf("map: %v", err)
	}
	return rows
}

// The state row is read from the snapshot's head: whatever the window of
// recent commands holds, the row is the customer's state, version and time.
func TestAStateRowIsTheSnapshotsStateWhateverItsWindowHolds(t *testing.T) {
	want := []any{"8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01", "John Smith", "555-0199", uint8(1), uint64(17),
		time.Date(2026, 12, 7, 18, 4, 5, 0, time.UTC)}
	for _, window := range []int{0, 1, 16} {
		rows := stateRows(t, customerSnapshot(t, 17, window))
		if len(rows) != 1 || rows[0].Table != warehouse.CustomersTable.Name || !slices.Equal(rows[0].Values, want) {
			t.Errorf("window of %d: rows %+v, want one customers row %v", window, rows, want)
		}
	}
}

// A snapshot that recorded only rejections has no aggregate yet: no row.
func TestASnapshotWithNoAggregateYetHasNoStateRow(t *testing.T) {
	if rows := stateRows(t, customerSnapshot(t, 0, 3)); len(rows) != 0 {
		t.Errorf("rows %+v, want none", rows)
	}
}

// The state projection's mapping of one customer snapshot, by the size of
// its window (the aggregate keeps up to 16 recent commands). Run:
// go test ./views/projections -run '^$' -bench StateRow -benchmem
func BenchmarkStateRow(b *testing.B) {
	sd, _ := testkit.Serde(b)
	p := projections.State(sd)
	for _, window := range []int{0, 4, 16} {
		v, err := sd.Encode(topics.Customers.Table.Name, customerSnapshot(b, 17, window))
		if err != nil {
			b.Fatal(err)
		}
		rec := &kgo.Record{Topic: topics.Customers.Table.Name, Value: v}
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			b.ReportAllocs()
			for range b.N {
				if _, err := p.Map(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
