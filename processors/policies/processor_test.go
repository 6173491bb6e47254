package policies_test

import (
	"context"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
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
	w := enginetest.StartWatched(t, topics.PoliciesGroup, policies.Group,
		[]topics.Topic{topics.Orders.Commands, topics.Invoices.Commands, topics.ShoppingLists.Commands})
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
			w.Consume(t, tc.events, tc.key, bad)
			w.AssertDeadLettered(t, tc.events, bad, tc.reason)

			w.Consume(t, tc.events, tc.key, enginetest.Encode(t, tc.events, tc.good))
			key, v, ok := w.Sent[tc.sentTo.Name].Next()
			if !ok {
				t.Fatalf("the event after the dead-lettered one sent nothing to %s%s", tc.sentTo.Name, enginetest.StopNote(w.Stopped))
			}
			cmd, err := sd.Decode(context.Background(), serde.Position{Topic: tc.sentTo.Name, Offset: -1}, v.([]byte))
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := cmd.(schemas.Command); !ok || key != tc.sentKeyed || c.CommandMetadata().AggregateID != tc.sentKeyed {
				t.Fatalf("sent %+v keyed %q, want a command to %s", cmd, key, tc.sentKeyed)
			}
			if _, _, ok := w.DeadLetters.Next(); ok {
				t.Fatal("the good event was dead-lettered too")
			}
		})
		if !ok {
			break // the group may have stopped: goka's tester panics on the next record
		}
	}
}
