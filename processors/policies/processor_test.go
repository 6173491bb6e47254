package policies_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/policies"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// An event whose command would have no aggregate id (no honest producer
// writes one, any Kafka client can) is dead-lettered with the field it
// lacks, logged at ERROR, and the group goes on: the next event of the same
// log sends its command. Failing the record instead would stop the group,
// and every policy with it.
func TestAnEventWhoseCommandHasNoAggregateIsDeadLetteredAndTheNextProcessed(t *testing.T) {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	var logs testkit.LogBuffer
	stopped := make(chan error, 1)
	enginetest.Start(t, tt, policies.Group(enginetest.Runtime(t, engine.WithLog(slog.New(slog.NewJSONHandler(&logs, nil))))), stopped)
	dead := tt.NewQueueTracker(topics.DeadLetter.Name)
	commandTopics := []topics.Topic{topics.Orders.Commands, topics.Invoices.Commands, topics.ShoppingLists.Commands}
	commands := map[string]*tester.QueueTracker{}
	for _, c := range commandTopics {
		commands[c.Name] = tt.NewQueueTracker(c.Name)
	}
	meta := func(id, aggregate string) schemas.EventMeta {
		return schemas.EventMeta{EventID: id, AggregateID: aggregate, CorrelationID: "corr-1", OccurredAt: time.Unix(100, 0)}
	}
	item := baskets.BasketItem{ProductID: "p1", StoreID: "s1", StoreName: "S", ProductName: "P", PriceCents: 999, Quantity: 1}

	for _, tc := range []struct {
		name      string
		events    topics.Topic
		key       string
		bad       schemas.Event
		reason    string
		good      schemas.Event
		sentTo    topics.Topic
		sentKeyed string
	}{
		{"ShoppingListCompleted without an orderId", topics.ShoppingLists.Events, "l1",
			&depot.ShoppingListCompleted{EventMeta: meta("e1", "l1")},
			"ShoppingListCompleted has no orderId: the ReadyOrder it calls for would have no aggregateId",
			&depot.ShoppingListCompleted{EventMeta: meta("e2", "l1"), OrderID: "o1"}, topics.Orders.Commands, "o1"},
		{"InvoicePaid without an orderId", topics.Invoices.Events, "i1",
			&payments.InvoicePaid{EventMeta: meta("e3", "i1"), AmountCents: 999},
			"InvoicePaid has no orderId: the CompleteOrder it calls for would have no aggregateId",
			&payments.InvoicePaid{EventMeta: meta("e4", "i1"), OrderID: "o1", AmountCents: 999}, topics.Orders.Commands, "o1"},
		{"BasketCheckedOut without an aggregateId", topics.Baskets.Events, "b1",
			&baskets.BasketCheckedOut{EventMeta: meta("e5", ""), CustomerID: "c1", PaymentID: "pay-1", TotalCents: 999, Items: []baskets.BasketItem{item}},
			"BasketCheckedOut has no aggregateId: the CreateOrder it calls for would have no aggregateId",
			&baskets.BasketCheckedOut{EventMeta: meta("e6", "b1"), CustomerID: "c1", PaymentID: "pay-1", TotalCents: 999, Items: []baskets.BasketItem{item}},
			topics.Orders.Commands, "b1"},
		{"OrderReadied without an aggregateId", topics.Orders.Events, "o1",
			&ordering.OrderReadied{EventMeta: meta("e7", ""), PaymentID: "pay-1", TotalCents: 999},
			"OrderReadied has no aggregateId: the CreateInvoice it calls for would have no aggregateId",
			&ordering.OrderReadied{EventMeta: meta("e8", "o1"), PaymentID: "pay-1", TotalCents: 999}, topics.Invoices.Commands, "o1"},
	} {
		ok := t.Run(tc.name, func(t *testing.T) {
			bad := enginetest.Encode(t, tc.events, tc.bad)
			policiesConsume(t, tt, stopped, tc.events.Name, tc.key, bad)
			h, _, v, ok := dead.NextWithHeaders()
			if !ok {
				t.Fatalf("no dead letter%s", enginetest.StopNote(stopped))
			}
			if got := string(h[topics.HeaderDLQReason]); got != tc.reason {
				t.Errorf("dead letter reason %q, want %q", got, tc.reason)
			}
			if b, _ := v.([]byte); !bytes.Equal(b, bad) || string(h[topics.HeaderDLQTopic]) != tc.events.Name || string(h[topics.HeaderDLQGroup]) != topics.PoliciesGroup {
				t.Errorf("dead letter %q with headers %q; want the event as it arrived and its origin", b, h)
			}
			for name, q := range commands {
				if _, _, ok := q.Next(); ok {
					t.Errorf("a command was sent to %s for the dead-lettered event", name)
				}
			}
			if levels := policiesLogLevels(t, logs.String(), tc.reason); !slices.Equal(levels, []string{"ERROR"}) {
				t.Errorf("the dead letter was logged at %q, want one line at ERROR naming the reason", levels)
			}

			policiesConsume(t, tt, stopped, tc.events.Name, tc.key, enginetest.Encode(t, tc.events, tc.good))
			key, v, ok := commands[tc.sentTo.Name].Next()
			if !ok {
				t.Fatalf("the event after the dead-lettered one sent nothing to %s%s", tc.sentTo.Name, enginetest.StopNote(stopped))
			}
			cmd, err := sd.Decode(context.Background(), serde.Position{Topic: tc.sentTo.Name, Offset: -1}, v.([]byte))
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := cmd.(schemas.Command); !ok || key != tc.sentKeyed || c.CommandMetadata().AggregateID != tc.sentKeyed {
				t.Fatalf("sent %+v keyed %q, want a command to %s", cmd, key, tc.sentKeyed)
			}
			if _, _, ok := dead.Next(); ok {
				t.Fatal("the good event was dead-lettered too")
			}
		})
		if !ok {
			break // the group may have stopped: goka's tester panics on the next record
		}
	}
}

// policiesConsume hands the group a record and waits until it is handled:
// goka's tester would wait for good once the group has stopped.
func policiesConsume(t *testing.T, tt *tester.Tester, stopped <-chan error, topic, key string, value []byte) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tt.Consume(topic, key, value)
	}()
	select {
	case <-done:
	case err := <-stopped:
		t.Fatalf("%s, key %q: the policies' group stopped: %v", topic, key, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s, key %q: not handled within 10 s", topic, key)
	}
}

// policiesLogLevels are the levels of the JSON log lines whose reason is
// reason.
func policiesLogLevels(t *testing.T, logs, reason string) []string {
	t.Helper()
	var levels []string
	for l := range strings.Lines(logs) {
		var line struct{ Level, Reason string }
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if line.Reason == reason {
			levels = append(levels, line.Level)
		}
	}
	return levels
}
