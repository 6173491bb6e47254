package saga_test

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/ordering"
	sagas "github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// sagaRig runs the saga's group under goka's tester (enginetest.Watch),
// its log in a buffer.
type sagaRig struct {
	*enginetest.Watch
	t  *testing.T
	sd *serde.Serde
}

var sagaNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newSagaRig(t *testing.T) *sagaRig {
	sd, _ := testkit.Serde(t)
	w := enginetest.StartWatched(t, topics.SagaGroup, func(rt *engine.Runtime) *goka.GroupGraph { return saga.Group(rt, 0) },
		[]topics.Topic{topics.Customers.Commands, topics.ShoppingLists.Commands, topics.Payments.Commands, topics.Orders.Commands},
		engine.WithClock(func() time.Time { return sagaNow }))
	return &sagaRig{Watch: w, t: t, sd: sd}
}

// stored is the saga the table holds for an order (nil: none).
func (r *sagaRig) stored(order string) *sagas.CreateOrderSaga {
	r.t.Helper()
	raw, _ := r.Tester.TableValue(goka.Table(topics.SagaTable.Name), order).([]byte)
	if raw == nil {
		return nil
	}
	v, err := r.sd.Decode(context.Background(), serde.Position{Topic: topics.SagaTable.Name, Offset: -1}, raw)
	if err != nil {
		r.t.Fatal(err)
	}
	return v.(*sagas.CreateOrderSaga)
}

// started checks that the saga of order started: it asked the customer's
// authorization and stored the saga.
func (r *sagaRig) started(order, customer string) {
	r.t.Helper()
	key, v, ok := r.Sent[topics.Customers.Commands.Name].Next()
	if !ok {
		r.t.Fatalf("the saga of %s sent nothing to the customers%s", order, enginetest.StopNote(r.Stopped))
	}
	cmd, err := r.sd.Decode(context.Background(), serde.Position{Topic: topics.Customers.Commands.Name, Offset: -1}, v.([]byte))
	if err != nil {
		r.t.Fatal(err)
	}
	if c, ok := cmd.(*customers.AuthorizeCustomer); !ok || key != customer || c.AggregateID != customer {
		r.t.Fatalf("sent %+v keyed %q, want AuthorizeCustomer for %s", cmd, key, customer)
	}
	if s := r.stored(order); s == nil || s.Step != saga.StepAuthorizeCustomer {
		r.t.Fatalf("the saga of %s stored %+v", order, s)
	}
	if _, _, ok := r.DeadLetters.Next(); ok {
		r.t.Fatal("the good record was dead-lettered too")
	}
}

func validOrderCreated(order string) *ordering.OrderCreated {
	return &ordering.OrderCreated{EventMeta: schemas.EventMeta{EventID: order + "-e1", AggregateID: order, AggregateVersion: 1},
		CustomerID: "c1", PaymentID: "pay-1", TotalCents: 999,
		Items: []ordering.OrderItem{{ProductID: "p1", StoreID: "s1", StoreName: "S", ProductName: "P", PriceCents: 999, Quantity: 1}}}
}

// An OrderCreated the order aggregate would never write, without what a
// step's command is addressed to (or without items), is dead-lettered with
// the field it lacks, logged at ERROR, and starts no saga; the group goes on,
// and a valid OrderCreated of the same order starts its saga. Failing the
// record instead would stop the group, and every saga with it.
func TestAnOrderCreatedNoStepCanBeSentForIsDeadLetteredAndTheNextStarts(t *testing.T) {
	r := newSagaRig(t)
	for _, tc := range []struct {
		name   string
		key    string
		bad    func(*ordering.OrderCreated)
		reason string
	}{
		{"nothing but its ids", "o1", func(e *ordering.OrderCreated) {
			*e = ordering.OrderCreated{EventMeta: schemas.EventMeta{EventID: "e1", AggregateID: "o1"}}
		}, "OrderCreated has no customerId: the AuthorizeCustomer it calls for would have no aggregateId"},
		{"no paymentId", "o2", func(e *ordering.OrderCreated) { e.PaymentID = "" },
			"OrderCreated has no paymentId: the ConfirmPayment it calls for would have no aggregateId"},
		{"no items", "o3", func(e *ordering.OrderCreated) { e.Items = nil },
			"OrderCreated has no items: the order aggregate creates no such order, and there is nothing to shop for"},
		{"no aggregateId", "o4", func(e *ordering.OrderCreated) { e.AggregateID = "" },
			"OrderCreated has no aggregateId: the saga could neither approve nor reject the order"},
		{"keyed by another order", "o5", func(e *ordering.OrderCreated) { e.AggregateID = "o6" },
			`the key "o5" is not the OrderCreated's aggregateId "o6": the saga's replies would reach another key`},
	} {
		ok := t.Run(tc.name, func(t *testing.T) {
			r.t = t
			ev := validOrderCreated(tc.key)
			tc.bad(ev)
			bad := enginetest.Encode(t, topics.Orders.Events, ev)
			r.Consume(t, topics.Orders.Events, tc.key, bad)
			r.AssertDeadLettered(t, topics.Orders.Events, bad, tc.reason)
			if s := r.stored(tc.key); s != nil {
				t.Fatalf("the dead-lettered OrderCreated stored a saga: %+v", s)
			}

			r.Consume(t, topics.Orders.Events, tc.key, enginetest.Encode(t, topics.Orders.Events, validOrderCreated(tc.key)))
			r.started(tc.key, "c1")
		})
		if !ok {
			break // the group may have stopped: goka's tester panics on the next record
		}
	}
}

// A saga stored without what its step needs (an earlier build stored the
// saga of such an OrderCreated before failing the record) cannot send the
// step again when it times out: the timeout is dead-lettered, the saga left
// as it was, and the group goes on.
func TestATimeoutWhoseStepCannotBeSentIsDeadLetteredAndTheNextProcessed(t *testing.T) {
	r := newSagaRig(t)
	pending := saga.StepCommandID("o1", saga.StepAuthorizeCustomer)
	stuck := &sagas.CreateOrderSaga{OrderID: "o1", Step: saga.StepAuthorizeCustomer, Status: saga.StatusRunning,
		PendingCommandID: pending, Deadline: sagaNow.Add(-time.Second), StartedAt: sagaNow.Add(-time.Minute), UpdatedAt: sagaNow.Add(-time.Minute), Version: 1}
	r.Tester.SetTableValue(goka.Table(topics.SagaTable.Name), "o1", enginetest.Encode(t, topics.SagaTable, stuck))

	timeout := enginetest.Encode(t, topics.SagaReplies, &sagas.StepTimedOut{OrderID: "o1", CommandID: pending, Step: saga.StepAuthorizeCustomer, At: sagaNow})
	r.Consume(t, topics.SagaReplies, "o1", timeout)
	r.AssertDeadLettered(t, topics.SagaReplies, timeout,
		`the saga of order "o1" cannot send its step authorize_customer: send mallbots.customers.AuthorizeCustomer: the command has no aggregateId`)
	if s := r.stored("o1"); s == nil || s.Attempt != 0 || s.Version != 1 || !s.Deadline.Equal(stuck.Deadline) {
		t.Fatalf("the dead-lettered timeout changed the saga: %+v", s)
	}

	r.Consume(t, topics.Orders.Events, "o2", enginetest.Encode(t, topics.Orders.Events, validOrderCreated("o2")))
	r.started("o2", "c1")
}
