package serde_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Encode and Decode on the records the engine handles for every command:
// a command, an event, and a snapshot whose window holds 16 recent commands
// each with its encoded event. Run:
// go test ./schemas/serde -run '^$' -bench . -benchmem

type benchRecord struct {
	name, topic string
	v           any
}

func benchRecords(b *testing.B, sd *serde.Serde) []benchRecord {
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := "8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01"
	meta := schemas.CommandMeta{CommandID: id, AggregateID: id, CorrelationID: id, IssuedAt: now}
	evMeta := schemas.EventMeta{EventID: id, AggregateID: id, AggregateVersion: 7, OccurredAt: now, CommandID: id, CausationID: id, CorrelationID: id}
	event := &customers.CustomerSmsChanged{EventMeta: evMeta, SMSNumber: "555-0199"}
	encodedEvent, err := sd.Encode(topics.Customers.Events.Name, event)
	if err != nil {
		b.Fatal(err)
	}
	snap := &customers.CustomerSnapshot{AggregateID: id, Version: 17, LastOffset: 16, UpdatedAt: now,
		State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}}
	for i := range 16 {
		snap.Recent = append(snap.Recent, schemas.Applied{CommandID: fmt.Sprintf("%s-%d", id, i), Offset: int64(i), Version: int64(i + 2),
			ProcessedAt: now, Events: [][]byte{encodedEvent}})
	}
	return []benchRecord{
		{"command", topics.Customers.Commands.Name, &customers.ChangeSmsNumber{CommandMeta: meta, SMSNumber: "555-0199"}},
		{"event", topics.Customers.Events.Name, event},
		{"snapshot16", topics.Customers.Table.Name, snap},
		{"result", topics.Results.Name, &schemas.CommandResult{CommandID: id, CorrelationID: id, AggregateType: "customer", AggregateID: id,
			Accepted: true, Version: 7, EventIDs: []string{id}, ProcessedAt: now}},
	}
}

func BenchmarkEncode(b *testing.B) {
	sd, _ := testkit.Serde(b)
	for _, r := range benchRecords(b, sd) {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := sd.Encode(r.topic, r.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	sd, _ := testkit.Serde(b)
	ctx := context.Background()
	for _, r := range benchRecords(b, sd) {
		raw, err := sd.Encode(r.topic, r.v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for range b.N {
				if _, err := sd.Decode(ctx, serde.Position{Topic: r.topic}, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
