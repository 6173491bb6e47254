package notifications

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// An order's first event names its customer, whom the group reads from its
// own copy of the customers table. A customer exists before their orders,
// so a miss there is a copy behind the topic: the group waits for it to
// catch up (here CatchUp brings the customer in) before it decides, since
// skipping would lose every notification of the order. A copy that cannot
// catch up leaves the miss, and nothing is sent.
func TestAnOrdersNotificationWaitsForItsCopyOfTheCustomersTableToCatchUp(t *testing.T) {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	var asked []string
	rt := enginetest.Runtime(t, engine.WithCatchUp(func(_ context.Context, group, table, key string) error {
		asked = append(asked, group+" "+table+" "+key)
		if key != "c1" {
			return errors.New("the copy is stuck")
		}
		tt.SetTableValue(goka.Table(table), key, enginetest.Encode(t, topics.Customers.Table, &customers.CustomerSnapshot{
			AggregateID: key, Version: 1, State: customers.Customer{ID: key, Name: "John Smith", SMSNumber: "+15550100", Enabled: true}}))
		return nil
	}))
	enginetest.Start(t, tt, Group(rt, nil), make(chan error, 1))
	sent := tt.NewQueueTracker(topics.NotificationsSent.Name)
	created := func(order, customer string) []byte {
		return enginetest.Encode(t, topics.Orders.Events, &ordering.OrderCreated{
			EventMeta: schemas.EventMeta{EventID: order + "-e1", AggregateID: order, AggregateVersion: 1, OccurredAt: time.Now()}, CustomerID: customer})
	}

	tt.Consume(topics.Orders.Events.Name, "order-1", created("order-1", "c1"))
	key, v, ok := sent.Next()
	if !ok {
		t.Fatal("nothing was sent for the customer the copy caught up with")
	}
	n, err := sd.Decode(context.Background(), serde.Position{Topic: topics.NotificationsSent.Name, Offset: -1}, v.([]byte))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := n.(*notes.Notification); key != "order-1" || got == nil || got.Kind != OrderReceived || got.SMSNumber != "+15550100" {
		t.Fatalf("sent %q %+v, want order-1's %s to +15550100", key, n, OrderReceived)
	}

	tt.Consume(topics.Orders.Events.Name, "order-2", created("order-2", "c2"))
	if key, _, ok := sent.Next(); ok {
		t.Fatalf("sent %q for a customer still missing after the copy gave up", key)
	}
	want := []string{"mallbots.notifications mallbots.customers-table c1", "mallbots.notifications mallbots.customers-table c2"}
	if !slices.Equal(asked, want) {
		t.Fatalf("CatchUp asked %q, want %q", asked, want)
	}
}
