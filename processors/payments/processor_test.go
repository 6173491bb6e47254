package payments

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	contractcustomers "github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// rig runs the payments groups under goka's tester; the customers table
// they look up is filled by the test (registered), as the customers context
// publishes it.
type rig struct {
	t       *testing.T
	tt      *tester.Tester
	sd      *serde.Serde
	events  map[string]*tester.QueueTracker
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
	for _, gg := range Groups(deps) {
		p, err := goka.NewProcessor(nil, gg, goka.WithTester(tt))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.Run(ctx) }()
	}
	return &rig{t: t, tt: tt, sd: sd,
		events: map[string]*tester.QueueTracker{
			topics.Payments.Events.Name: tt.NewQueueTracker(topics.Payments.Events.Name),
			topics.Invoices.Events.Name: tt.NewQueueTracker(topics.Invoices.Events.Name),
		},
		results: tt.NewQueueTracker(topics.Results.Name),
		replies: tt.NewQueueTracker(topics.SagaReplies.Name),
	}
}

func (r *rig) send(topic string, cmd schemas.Command, opts ...tester.EmitOption) {
	r.t.Helper()
	b, err := r.sd.Encode(topic, cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume(topic, cmd.CommandMetadata().AggregateID, b, opts...)
}

func (r *rig) decode(topic string, v any) any {
	r.t.Helper()
	out, err := r.sd.Decode(context.Background(), serde.Position{Topic: topic}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *rig) nextResult() *schemas.CommandResult {
	r.t.Helper()
	_, v, ok := r.results.Next()
	if !ok {
		r.t.Fatal("no result")
	}
	return r.decode(topics.Results.Name, v).(*schemas.CommandResult)
}

func (r *rig) nextReply(wantKey string) *schemas.CommandResult {
	r.t.Helper()
	key, v, ok := r.replies.Next()
	if !ok {
		r.t.Fatal("no reply to the saga")
	}
	if key != wantKey {
		r.t.Fatalf("reply keyed %q, want the order %q", key, wantKey)
	}
	return r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult)
}

func (r *rig) noEvent(topic string) {
	r.t.Helper()
	if _, v, ok := r.events[topic].Next(); ok {
		r.t.Fatalf("unexpected event %+v", r.decode(topic, v))
	}
}

// registered publishes a customer in the customers table, as the customer
// group does after RegisterCustomer.
func (r *rig) registered(id string) {
	r.t.Helper()
	snap := &contractcustomers.CustomerSnapshot{AggregateID: id, Version: 1, LastOffset: 0, UpdatedAt: time.Now().UTC(),
		State: contractcustomers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}}
	b, err := r.sd.Encode(topics.Customers.Table.Name, snap)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.SetTableValue(goka.Table(topics.Customers.Table.Name), id, b)
}

func meta(cmdID, aggID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: cmdID, AggregateID: aggID, IssuedAt: time.Now()}
}

func fromSaga(orderID string) tester.EmitOption {
	return tester.WithHeaders(goka.Headers{
		topics.HeaderReplyTo:  []byte(topics.SagaReplies.Name),
		topics.HeaderReplyKey: []byte(orderID),
	})
}

func TestAuthorizePaymentLooksUpTheCustomersTable(t *testing.T) {
	r := newRig(t)
	authorize := &payments.AuthorizePayment{CommandMeta: meta("c1", "pay1"), CustomerID: "cu1", AmountCents: 9990}
	r.send(topics.Payments.Commands.Name, authorize)
	if res := r.nextResult(); res.Accepted || res.Message != "the customer does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}

	r.registered("cu1")
	authorize.CommandID = "c3"
	r.send(topics.Payments.Commands.Name, authorize)
	if res := r.nextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "payment" {
		t.Fatalf("unexpected %+v", res)
	}
	_, v, _ := r.events[topics.Payments.Events.Name].Next()
	if ev := r.decode(topics.Payments.Events.Name, v).(*payments.PaymentAuthorized); ev.CustomerID != "cu1" || ev.AmountCents != 9990 {
		t.Fatalf("unexpected %+v", ev)
	}
}

func TestConfirmPaymentRepliesToTheSagaOncePerOrder(t *testing.T) {
	r := newRig(t)
	r.registered("cu1")
	r.send(topics.Payments.Commands.Name, &payments.AuthorizePayment{CommandMeta: meta("c2", "pay1"), CustomerID: "cu1", AmountCents: 9990})
	r.events[topics.Payments.Events.Name].Next()

	r.send(topics.Payments.Commands.Name, &payments.ConfirmPayment{CommandMeta: meta("c3", "pay1"), OrderID: "order-1", AmountCents: 9991}, fromSaga("order-1"))
	if reply := r.nextReply("order-1"); reply.Accepted || reply.Message != "payment cannot be confirmed" || reply.Code != "payment_amount_exceeded" || reply.Kind != "invalid" {
		t.Fatalf("unexpected reply %+v", reply)
	}
	r.send(topics.Payments.Commands.Name, &payments.ConfirmPayment{CommandMeta: meta("c4", "pay1"), OrderID: "order-1", AmountCents: 9000}, fromSaga("order-1"))
	if reply := r.nextReply("order-1"); !reply.Accepted || reply.Version != 2 {
		t.Fatalf("unexpected reply %+v", reply)
	}
	_, v, _ := r.events[topics.Payments.Events.Name].Next()
	if ev := r.decode(topics.Payments.Events.Name, v).(*payments.PaymentConfirmed); ev.OrderID != "order-1" || ev.AmountCents != 9000 || ev.AggregateVersion != 2 {
		t.Fatalf("unexpected %+v", ev)
	}

	// The saga asks again (a new command id): accepted, nothing appended.
	r.send(topics.Payments.Commands.Name, &payments.ConfirmPayment{CommandMeta: meta("c5", "pay1"), OrderID: "order-1", AmountCents: 9000}, fromSaga("order-1"))
	if reply := r.nextReply("order-1"); !reply.Accepted || reply.Version != 2 || len(reply.EventIDs) != 0 {
		t.Fatalf("unexpected reply %+v", reply)
	}
	r.noEvent(topics.Payments.Events.Name)

	r.send(topics.Payments.Commands.Name, &payments.ConfirmPayment{CommandMeta: meta("c6", "pay1"), OrderID: "order-2", AmountCents: 100}, fromSaga("order-2"))
	if reply := r.nextReply("order-2"); reply.Accepted || reply.Message != "payment cannot be confirmed" || reply.Code != "payment_confirmed_for_another_order" {
		t.Fatalf("unexpected reply %+v", reply)
	}
	r.send(topics.Payments.Commands.Name, &payments.ConfirmPayment{CommandMeta: meta("c7", "nope"), OrderID: "order-3", AmountCents: 100}, fromSaga("order-3"))
	if reply := r.nextReply("order-3"); reply.Accepted || reply.Message != "payment cannot be confirmed" || reply.Kind != "not_found" {
		t.Fatalf("unexpected reply %+v", reply)
	}
	r.noEvent(topics.Payments.Events.Name)

	snap := r.decode(topics.Payments.Table.Name, r.tt.TableValue(goka.Table(topics.Payments.Table.Name), "pay1")).(*payments.PaymentSnapshot)
	want := payments.Payment{ID: "pay1", CustomerID: "cu1", AmountCents: 9990, Confirmed: true, OrderID: "order-1"}
	if snap.Version != 2 || snap.State != want {
		t.Fatalf("snapshot v%d %+v, want v2 %+v", snap.Version, snap.State, want)
	}
}

func TestAnInvoiceIsCreatedPendingThenPaidOnce(t *testing.T) {
	r := newRig(t)
	cmds := topics.Invoices.Commands.Name
	r.send(cmds, &payments.PayInvoice{CommandMeta: meta("c0", "order-1")})
	if res := r.nextResult(); res.Accepted || res.Message != "the invoice does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
	r.send(cmds, &payments.CreateInvoice{CommandMeta: meta("c1", "order-1"), OrderID: "order-1", PaymentID: "pay1", AmountCents: 9000})
	if res := r.nextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "invoice" {
		t.Fatalf("unexpected %+v", res)
	}
	r.send(cmds, &payments.PayInvoice{CommandMeta: meta("c2", "order-1")})
	if res := r.nextResult(); !res.Accepted || res.Version != 2 {
		t.Fatalf("unexpected %+v", res)
	}
	r.send(cmds, &payments.CancelInvoice{CommandMeta: meta("c3", "order-1")})
	if res := r.nextResult(); res.Accepted || res.Message != "invoice cannot be canceled" {
		t.Fatalf("unexpected %+v", res)
	}
	events := r.events[topics.Invoices.Events.Name]
	_, v, _ := events.Next()
	if ev := r.decode(topics.Invoices.Events.Name, v).(*payments.InvoiceCreated); ev.OrderID != "order-1" || ev.PaymentID != "pay1" || ev.AmountCents != 9000 {
		t.Fatalf("unexpected %+v", ev)
	}
	_, v, _ = events.Next()
	if ev := r.decode(topics.Invoices.Events.Name, v).(*payments.InvoicePaid); ev.OrderID != "order-1" || ev.AmountCents != 9000 {
		t.Fatalf("unexpected %+v", ev)
	}
	r.noEvent(topics.Invoices.Events.Name)
	snap := r.decode(topics.Invoices.Table.Name, r.tt.TableValue(goka.Table(topics.Invoices.Table.Name), "order-1")).(*payments.InvoiceSnapshot)
	if snap.Version != 2 || snap.State.Status != "paid" {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}
