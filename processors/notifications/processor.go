package notifications

import (
	"fmt"
	"log/slog"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Sender delivers a notification from inside the group's callback.
type Sender interface {
	Send(ctx goka.Context, n *notes.Notification) error
	// Outputs are the goka edges the sender emits to.
	Outputs() []goka.Edge
}

// TopicSender records notifications on mallbots.notifications.sent, keyed
// by order id; the warehouse projects them into ClickHouse.
type TopicSender struct{ Serde *serde.Serde }

// Send implements Sender.
func (s TopicSender) Send(ctx goka.Context, n *notes.Notification) error {
	b, err := s.Serde.Encode(topics.NotificationsSent.Name, n)
	if err != nil {
		return err
	}
	ctx.Emit(goka.Stream(topics.NotificationsSent.Name), n.OrderID, b)
	return nil
}

// Outputs implements Sender.
func (TopicSender) Outputs() []goka.Edge {
	return []goka.Edge{goka.Output(goka.Stream(topics.NotificationsSent.Name), new(codec.Bytes))}
}

// Group is the notifications' goka group. sender delivers what it
// decides (nil: TopicSender). When the order's customer is missing from
// the group's copy of the customers table, it waits for the copy to hold
// what the table held (rt's catch-up, engine.LookupCaughtUp): a customer
// exists before their orders, so a miss is a copy behind, and skipping
// would lose every notification of the order. Without a catch-up (goka's
// tester) a miss is a miss.
func Group(rt *engine.Runtime, sender Sender) *goka.GroupGraph {
	if sender == nil {
		sender = TopicSender{Serde: rt.Serde()}
	}
	n := &notifier{rt: rt, sender: sender}
	edges := []goka.Edge{
		rt.Input(topics.NotificationsGroup, topics.Orders.Events.Name, "order_id", n.handle),
		goka.Persist(new(codec.Bytes)),
		goka.Lookup(goka.Table(topics.Customers.Table.Name), new(codec.Bytes)),
		engine.DeadLetterOutput(),
	}
	edges = append(edges, sender.Outputs()...)
	return goka.DefineGroup(goka.Group(topics.NotificationsGroup), edges...)
}

type notifier struct {
	rt     *engine.Runtime
	sender Sender
}

func (n *notifier) handle(ctx goka.Context, rec *engine.Record) {
	ev, ok := rec.Value.(schemas.Event)
	if !ok {
		rec.DeadLetter(ctx, fmt.Sprintf("%T is not an event", rec.Value))
		return
	}
	state := n.state(ctx)
	dec := Decide(state, ev, n.customer(ctx, rec, customerOf(state, ev)), n.rt.Now())
	if dec.Next == nil {
		if rec.Log.Enabled(ctx.Context(), slog.LevelDebug) {
			rec.Log.Debug("no notification", "why", dec.Skipped)
		}
		return
	}
	b, err := n.rt.Serde().Encode(topics.NotificationsTable.Name, dec.Next)
	if err != nil {
		ctx.Fail(err)
	}
	ctx.SetValue(b)
	if err := n.sender.Send(ctx, dec.Send); err != nil {
		ctx.Fail(fmt.Errorf("send the %s notification of %s: %w", dec.Send.Kind, dec.Send.OrderID, err))
	}
}

func (n *notifier) state(ctx goka.Context) *notes.NotificationState {
	raw, _ := ctx.Value().([]byte)
	if raw == nil {
		return nil
	}
	v, err := n.rt.Serde().Decode(ctx.Context(), serde.Position{Topic: topics.NotificationsTable.Name, Partition: ctx.Partition(), Offset: -1}, raw)
	if err != nil {
		ctx.Fail(err)
	}
	s, _ := v.(*notes.NotificationState)
	return s
}

func (n *notifier) customer(ctx goka.Context, rec *engine.Record, id string) *customers.Customer {
	if id == "" {
		return nil
	}
	raw, err := engine.LookupCaughtUp(ctx, n.rt.CatchUp(), topics.NotificationsGroup, topics.Customers.Table.Name, id)
	if err != nil {
		rec.Log.Warn("the order's customer is missing and this group's copy of the customers table did not catch up; no notification",
			"customer_id", id, "err", err)
	}
	if raw == nil {
		return nil
	}
	v, err := n.rt.Serde().Decode(ctx.Context(), serde.Position{Topic: topics.Customers.Table.Name, Offset: -1}, raw)
	if err != nil {
		ctx.Fail(err)
	}
	snap, _ := v.(*schemas.Snapshot[customers.Customer])
	if snap == nil || snap.Version == 0 {
		return nil
	}
	return &snap.State
}

// customerOf is the order's customer: from OrderCreated, or remembered.
func customerOf(state *notes.NotificationState, ev schemas.Event) string {
	if c, ok := ev.(*ordering.OrderCreated); ok {
		return c.CustomerID
	}
	if state != nil {
		return state.CustomerID
	}
	return ""
}
