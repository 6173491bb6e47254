package notifications

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/tracing"
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

// Deps are what the notifications group needs.
type Deps struct {
	Serde  *serde.Serde
	Sender Sender // default TopicSender
	Log    *slog.Logger
	Now    func() time.Time
	// Tracer traces each order event (a span per record, continuing its
	// trace, passed on to the notification it sends); nil: no spans.
	Tracer trace.TracerProvider
	// CatchUp, when the order's customer is missing from this group's copy
	// of the customers table, waits for the copy to hold what the table
	// held (engine.LookupCaughtUp): a customer exists before their orders,
	// so a miss is a copy behind, and skipping would lose every
	// notification of the order. nil (goka's tester): a miss is a miss.
	CatchUp engine.CatchUpFunc
}

// Group is the notifications' goka group.
func Group(d Deps) *goka.GroupGraph {
	if d.Sender == nil {
		d.Sender = TopicSender{Serde: d.Serde}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	edges := []goka.Edge{
		goka.Input(goka.Stream(topics.Orders.Events.Name), new(codec.Bytes), tracing.Process(d.Tracer, topics.NotificationsGroup, d.handle)),
		goka.Persist(new(codec.Bytes)),
		goka.Lookup(goka.Table(topics.Customers.Table.Name), new(codec.Bytes)),
		goka.Output(goka.Stream(topics.DeadLetter.Name), new(codec.Bytes)),
	}
	edges = append(edges, d.Sender.Outputs()...)
	return goka.DefineGroup(goka.Group(topics.NotificationsGroup), edges...)
}

func (d Deps) handle(ctx goka.Context, msg any) {
	raw, _ := msg.([]byte)
	pos := serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()}
	v, err := d.Serde.Decode(ctx.Context(), pos, raw)
	if err != nil {
		engine.DeadLetter(ctx, engine.RecordLog(d.Log, ctx, "order_id"), topics.NotificationsGroup, raw, err.Error())
		return
	}
	ev, ok := v.(schemas.Event)
	if !ok {
		engine.DeadLetter(ctx, engine.RecordLog(d.Log, ctx, "order_id"), topics.NotificationsGroup, raw, fmt.Sprintf("%T is not an event", v))
		return
	}
	state := d.state(ctx)
	dec := Decide(state, ev, d.customer(ctx, customerOf(state, ev)), d.Now())
	if dec.Next == nil {
		if d.Log.Enabled(ctx.Context(), slog.LevelDebug) {
			engine.RecordLog(d.Log, ctx, "order_id").Debug("no notification", "why", dec.Skipped)
		}
		return
	}
	b, err := d.Serde.Encode(topics.NotificationsTable.Name, dec.Next)
	if err != nil {
		ctx.Fail(err)
	}
	ctx.SetValue(b)
	if err := d.Sender.Send(ctx, dec.Send); err != nil {
		ctx.Fail(fmt.Errorf("send the %s notification of %s: %w", dec.Send.Kind, dec.Send.OrderID, err))
	}
}

func (d Deps) state(ctx goka.Context) *notes.NotificationState {
	raw, _ := ctx.Value().([]byte)
	if raw == nil {
		return nil
	}
	v, err := d.Serde.Decode(ctx.Context(), serde.Position{Topic: topics.NotificationsTable.Name, Partition: ctx.Partition(), Offset: -1}, raw)
	if err != nil {
		ctx.Fail(err)
	}
	s, _ := v.(*notes.NotificationState)
	return s
}

func (d Deps) customer(ctx goka.Context, id string) *customers.Customer {
	if id == "" {
		return nil
	}
	raw, err := engine.LookupCaughtUp(ctx, d.CatchUp, topics.NotificationsGroup, topics.Customers.Table.Name, id)
	if err != nil {
		engine.RecordLog(d.Log, ctx, "order_id").Warn("the order's customer is missing and this group's copy of the customers table did not catch up; no notification",
			"customer_id", id, "err", err)
	}
	if raw == nil {
		return nil
	}
	v, err := d.Serde.Decode(ctx.Context(), serde.Position{Topic: topics.Customers.Table.Name, Offset: -1}, raw)
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
