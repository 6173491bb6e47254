package customers

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// rig runs the customer group under goka's tester.
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
	for _, gg := range Groups(deps) {
		p, err := goka.NewProcessor(nil, gg, goka.WithTester(tt))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.Run(ctx) }()
	}
	return &rig{t: t, tt: tt, sd: sd,
		events:  tt.NewQueueTracker(topics.Customers.Events.Name),
		results: tt.NewQueueTracker(topics.Results.Name),
		replies: tt.NewQueueTracker(topics.SagaReplies.Name),
	}
}

func (r *rig) send(cmd schemas.Command, opts ...tester.EmitOption) {
	r.t.Helper()
	b, err := r.sd.Encode(topics.Customers.Commands.Name, cmd)
	if err != nil {
		r.t.Fatal(err)
	}
	r.tt.Consume(topics.Customers.Commands.Name, cmd.CommandMetadata().AggregateID, b, opts...)
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

func meta(cmdID, aggID string) schemas.CommandMeta {
	return schemas.CommandMeta{CommandID: cmdID, AggregateID: aggID, IssuedAt: time.Now()}
}

// fromSaga is how the create-order saga sends a command: it asks for the
// result as a reply keyed by the order.
func fromSaga(orderID string) tester.EmitOption {
	return tester.WithHeaders(goka.Headers{
		topics.HeaderReplyTo:  []byte(topics.SagaReplies.Name),
		topics.HeaderReplyKey: []byte(orderID),
	})
}

func TestRegisterCustomerEmitsEventStateAndResult(t *testing.T) {
	r := newRig(t)
	r.send(&customers.RegisterCustomer{CommandMeta: meta("c1", "cu1"), Name: "John Smith", SMSNumber: "555-0100"})

	_, v, ok := r.events.Next()
	if !ok {
		t.Fatal("no event")
	}
	ev := r.decode(topics.Customers.Events.Name, v).(*customers.CustomerRegistered)
	if ev.Name != "John Smith" || ev.SMSNumber != "555-0100" || ev.AggregateVersion != 1 || ev.AggregateID != "cu1" {
		t.Fatalf("unexpected event %+v", ev)
	}
	if res := r.nextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "customer" {
		t.Fatalf("unexpected result %+v", res)
	}
	snap := r.decode(topics.Customers.Table.Name, r.tt.TableValue(goka.Table(topics.Customers.Table.Name), "cu1")).(*customers.CustomerSnapshot)
	if snap.Version != 1 || snap.State != (customers.Customer{ID: "cu1", Name: "John Smith", SMSNumber: "555-0100", Enabled: true}) {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
	if _, _, ok := r.replies.Next(); ok {
		t.Fatal("a command from the API was answered on the saga's replies")
	}
}

func TestAuthorizeCustomerRepliesToTheSagaKeyedByTheOrder(t *testing.T) {
	r := newRig(t)
	r.send(&customers.RegisterCustomer{CommandMeta: meta("c1", "cu1"), Name: "John Smith", SMSNumber: "555-0100"})
	r.nextResult()

	r.send(&customers.AuthorizeCustomer{CommandMeta: meta("c2", "cu1")}, fromSaga("order-1"))
	key, v, ok := r.replies.Next()
	if !ok {
		t.Fatal("no reply to the saga")
	}
	if reply := r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult); key != "order-1" || !reply.Accepted || reply.Version != 2 {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}

	r.send(&customers.DisableCustomer{CommandMeta: meta("c3", "cu1")})
	r.send(&customers.AuthorizeCustomer{CommandMeta: meta("c4", "cu1")}, fromSaga("order-2"))
	key, v, ok = r.replies.Next()
	if !ok {
		t.Fatal("no reply to the saga")
	}
	reply := r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult)
	if key != "order-2" || reply.Accepted || reply.Message != "customer is not authorized" || reply.Kind != "unauthorized" || reply.Version != 3 {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}

	r.send(&customers.AuthorizeCustomer{CommandMeta: meta("c5", "nobody")}, fromSaga("order-3"))
	_, v, _ = r.replies.Next()
	if reply := r.decode(topics.SagaReplies.Name, v).(*schemas.CommandResult); reply.Message != "the customer does not exist" || reply.Kind != "not_found" {
		t.Fatalf("unexpected reply %+v", reply)
	}
}
