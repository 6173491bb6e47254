package ordering

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// rig runs the order group under goka's tester.
type rig struct {
	t       *testing.T
	tt      *tester.Tester
	sd      *serde.Serde
	events  *tester.QueueTracker
	results *tester.QueueTracker
	replies *tester.QueueTracker
}

func newRig(t *testing.T) *rig {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	deps := engine.Deps{Serde: sd, Partitions: func(topics.Topic) int32 { return 1 },
		Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p, err := goka.NewProcessor(nil, OrderGroup(deps), goka.WithTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Run(ctx) }()
	return &rig{t: t, tt: tt, sd: sd,
		events:  tt.NewQueueTracker(topics.Orders.Events.Name),
		results: tt.NewQueueTracker(topics.Results.Name),
		replies: tt.NewQueueTracker(topics.SagaReplies.Name),
	}
}

func (r *rig) send(cmd ordering.OrderCommand, opts ...tester.EmitOption) {
	r.t.Helper()
	b, err := r.sd.Encode(topics.Orders.Commands.Name, cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume(topics.Orders.Commands.Name, cmd.CommandMetadata().AggregateID, b, opts...)
}

func (r *rig) decode(topic string, v any) any {
	r.t.Helper()
	out, err := r.sd.Decode(context.Background(), serde.Position{Topic: topic}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *rig) nextEvent() ordering.OrderEvent {
	r.t.Helper()
	_, v, ok := r.events.Next()
	if !ok {
		r.t.Fatal("no order event")
	}
	return r.decode(topics.Orders.Events.Name, v).(ordering.OrderEvent)
}

func (r *rig) nextResult() *schemas.CommandResult {
	r.t.Helper()
	_, v, ok := r.results.Next()
	if !ok {
		r.t.Fatal("no result")
	}
	return r.decode(topics.Results.Name, v).(*schemas.CommandResult)
}

func (r *rig) order(id string) *ordering.OrderSnapshot {
	r.t.Helper()
	v := r.tt.TableValue(goka.Table(topics.Orders.Table.Name), id)
	if v == nil {
		return nil
	}
	return r.decode(topics.Orders.Table.Name, v).(*ordering.OrderSnapshot)
}

func meta(cmdID, orderID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: cmdID, AggregateID: orderID, CorrelationID: orderID, IssuedAt: time.Now()}
}

func TestAnOrderTravelsFromPendingToCompleted(t *testing.T) {
	r := newRig(t)
	r.send(&ordering.CreateOrder{CommandMeta: meta("c1", "o1"), CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total})
	r.send(&ordering.ApproveOrder{CommandMeta: meta("c2", "o1"), ShoppingListID: "list-1"})
	r.send(&ordering.ReadyOrder{CommandMeta: meta("c3", "o1")})
	r.send(&ordering.CompleteOrder{CommandMeta: meta("c4", "o1"), InvoiceID: "o1"})
	for v := int64(1); v <= 4; v++ {
		if res := r.nextResult(); !res.Accepted || res.Version != v || res.AggregateType != "order" {
			t.Fatalf("unexpected result %+v", res)
		}
	}
	if ev := r.nextEvent().(*ordering.OrderCreated); ev.TotalCents != total || len(ev.Items) != 2 || ev.AggregateID != "o1" {
		t.Fatalf("unexpected %+v", ev)
	}
	r.nextEvent()
	if ev := r.nextEvent().(*ordering.OrderReadied); ev.PaymentID != "pay-1" || ev.TotalCents != total {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.nextEvent().(*ordering.OrderCompleted); ev.InvoiceID != "o1" || ev.AggregateVersion != 4 {
		t.Fatalf("unexpected %+v", ev)
	}
	snap := r.order("o1")
	if st := snap.State; st.Status != "completed" || st.ShoppingListID != "list-1" || st.InvoiceID != "o1" || st.TotalCents != total || snap.Version != 4 {
		t.Fatalf("unexpected order %+v", snap)
	}
}

// The saga's commands carry a reply-to: the result also reaches the saga,
// keyed by the order, rejections with their text (the rejection reason).
func TestTheSagaGetsItsRepliesFromTheOrder(t *testing.T) {
	r := newRig(t)
	sagaHeaders := tester.WithHeaders(goka.Headers{topics.HeaderReplyTo: []byte(topics.SagaReplies.Name), topics.HeaderReplyKey: []byte("o1")})
	r.send(&ordering.CreateOrder{CommandMeta: meta("c1", "o1"), CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total})
	r.send(&ordering.RejectOrder{CommandMeta: meta("c2", "o1"), Reason: "customer is not authorized"}, sagaHeaders)
	r.send(&ordering.ApproveOrder{CommandMeta: meta("c3", "o1"), ShoppingListID: "list-1"}, sagaHeaders)

	key, v, ok := r.replies.Next()
	if res := r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult); !ok || key != "o1" || !res.Accepted || res.CommandID != "c2" {
		t.Fatalf("unexpected reply %q %+v", key, res)
	}
	key, v, ok = r.replies.Next()
	if res := r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult); !ok || key != "o1" || res.Accepted || res.Message != "the order cannot be approved" {
		t.Fatalf("unexpected reply %q %+v", key, res)
	}
	if st := r.order("o1").State; st.Status != "rejected" || st.RejectionReason != "customer is not authorized" {
		t.Fatalf("unexpected order %+v", st)
	}
}

func TestCancelingAnOrderNamesWhatTheCancelPolicyMustCancel(t *testing.T) {
	r := newRig(t)
	r.send(&ordering.CreateOrder{CommandMeta: meta("c1", "o1"), CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total})
	r.send(&ordering.ApproveOrder{CommandMeta: meta("c2", "o1"), ShoppingListID: "list-1"})
	r.send(&ordering.CancelOrder{CommandMeta: meta("c3", "o1")})
	r.nextEvent()
	r.nextEvent()
	if ev := r.nextEvent().(*ordering.OrderCanceled); ev.ShoppingListID != "list-1" || ev.AggregateVersion != 3 {
		t.Fatalf("unexpected %+v", ev)
	}
	r.send(&ordering.CancelOrder{CommandMeta: meta("c4", "o1")})
	for range 3 {
		r.nextResult()
	}
	if res := r.nextResult(); res.Accepted || res.Message != "the order cannot be cancelled" || res.Kind != "invalid" {
		t.Fatalf("unexpected %+v", res)
	}
	r.send(&ordering.CancelOrder{CommandMeta: meta("c5", "nope")})
	if res := r.nextResult(); res.Accepted || res.Message != "the order does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
}
