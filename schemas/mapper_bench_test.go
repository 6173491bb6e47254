package schemas_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
)

// The mapper's cost on the records the engine handles for every command: a
// command, an event, and a snapshot whose window holds 16 recent commands
// (what every aggregate with 16 commands or more carries). Run:
// go test ./schemas -run '^$' -bench . -benchmem

func benchRecords() map[string]any {
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := "8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01"
	meta := schemas.CommandMeta{CommandID: id, AggregateID: id, CorrelationID: id, IssuedAt: now}
	evMeta := schemas.EventMeta{EventID: id, AggregateID: id, AggregateVersion: 7, OccurredAt: now, CommandID: id, CausationID: id, CorrelationID: id}
	snap := &customers.CustomerSnapshot{AggregateID: id, Version: 17, LastOffset: 16, UpdatedAt: now,
		State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}}
	for i := range 16 {
		snap.Recent = append(snap.Recent, schemas.Applied{CommandID: fmt.Sprintf("%s-%d", id, i), Offset: int64(i), Version: int64(i + 2),
			ProcessedAt: now, Events: [][]byte{make([]byte, 200)}})
	}
	return map[string]any{
		"command":    &customers.ChangeSmsNumber{CommandMeta: meta, SMSNumber: "555-0199"},
		"event":      &customers.CustomerSmsChanged{EventMeta: evMeta, SMSNumber: "555-0199"},
		"snapshot16": snap,
	}
}

func BenchmarkToNative(b *testing.B) {
	for _, name := range []string{"command", "event", "snapshot16"} {
		v := benchRecords()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := schemas.ToNative(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFromNative(b *testing.B) {
	for _, name := range []string{"command", "event", "snapshot16"} {
		v := benchRecords()[name]
		native, err := schemas.ToNative(v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				out := newOf(v)
				if err := schemas.FromNative(native, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func newOf(v any) any {
	switch v.(type) {
	case *customers.ChangeSmsNumber:
		return new(customers.ChangeSmsNumber)
	case *customers.CustomerSmsChanged:
		return new(customers.CustomerSmsChanged)
	default:
		return new(customers.CustomerSnapshot)
	}
}
