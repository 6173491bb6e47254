package saga_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

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

// sagaRig runs the saga's group under goka's tester, its log in a buffer.
type sagaRig struct {
	t        *testing.T
	sd       *serde.Serde
	tt       *tester.Tester
	logs     *testkit.LogBuffer
	stopped  chan error
	dead     *tester.QueueTracker
	commands map[string]*tester.QueueTracker
}

var sagaNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func newSagaRig(t *testing.T) *sagaRig {
	sd, _ := testkit.Serde(t)
	r := &sagaRig{t: t, sd: sd, tt: tester.New(t), logs: new(testkit.LogBuffer), stopped: make(chan error, 1), commands: map[string]*tester.QueueTracker{}}
	rt := enginetest.Runtime(t, engine.WithLog(slog.New(slog.NewJSONHandler(r.logs, nil))), engine.WithClock(func() time.Time { return sagaNow }))
	enginetest.Start(t, r.tt, saga.Group(rt, 0), r.stopped)
	r.dead = r.tt.NewQueueTracker(topics.DeadLetter.Name)
	for _, c := range []topics.Topic{topics.Customers.Commands, topics.ShoppingLists.Commands, topics.Payments.Commands, topics.Orders.Commands} {
		r.commands[c.Name] = r.tt.NewQueueTracker(c.Name)
	}
	return r
}

// consume hands the group a record and waits until it is handled: goka's
// tester would wait for good once the group has stopped.
func (r *sagaRig) consume(topic topics.Topic, key string, value []byte) {
	r.t.Helper()
	sagaConsume(r.t, r.tt, r.stopped, topic.Name, key, value)
}

// sagaConsume is consume for a test without the rig (the fuzz target's).
func sagaConsume(t *testing.T, tt *tester.Tester, stopped <-chan error, topic, key string, value []byte) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tt.Consume(topic, key, value)
	}()
	select {
	case <-done:
	case err := <-stopped:
		t.Fatalf("%s, key %q: the saga's group stopped: %v", topic, key, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s, key %q: not handled within 10 s", topic, key)
	}
}

// deadLettered checks that value, consumed from topic, was dead-lettered
// with reason, logged at ERROR, and that nothing else came of it.
func (r *sagaRig) deadLettered(topic topics.Topic, value []byte, reason string) {
	r.t.Helper()
	h, _, v, ok := r.dead.NextWithHeaders()
	if !ok {
		r.t.Fatalf("no dead letter%s", enginetest.StopNote(r.stopped))
	}
	if got := string(h[topics.HeaderDLQReason]); got != reason {
		r.t.Errorf("dead letter reason %q, want %q", got, reason)
	}
	if b, _ := v.([]byte); !bytes.Equal(b, value) || string(h[topics.HeaderDLQTopic]) != topic.Name || string(h[topics.HeaderDLQGroup]) != topics.SagaGroup {
		r.t.Errorf("dead letter %q with headers %q; want the record as it arrived and its origin", b, h)
	}
	for name, q := range r.commands {
		if _, _, ok := q.Next(); ok {
			r.t.Errorf("the saga sent a command to %s for the dead-lettered record", name)
		}
	}
	var levels []string
	for l := range strings.Lines(r.logs.String()) {
		var line struct{ Level, Reason string }
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			r.t.Fatalf("log line %q: %v", l, err)
		}
		if line.Reason == reason {
			levels = append(levels, line.Level)
		}
	}
	if !slices.Equal(levels, []string{"ERROR"}) {
		r.t.Errorf("the dead letter was logged at %q, want one line at ERROR naming the reason", levels)
	}
}

// stored is the saga the table holds for an order (nil: none).
func (r *sagaRig) stored(order string) *sagas.CreateOrderSaga {
	r.t.Helper()
	raw, _ := r.tt.TableValue(goka.Table(topics.SagaTable.Name), order).([]byte)
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
	key, v, ok := r.commands[topics.Customers.Commands.Name].Next()
	if !ok {
		r.t.Fatalf("the saga of %s sent nothing to the customers%s", order, enginetest.StopNote(r.stopped))
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
	if _, _, ok := r.dead.Next(); ok {
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
			r.consume(topics.Orders.Events, tc.key, bad)
			r.deadLettered(topics.Orders.Events, bad, tc.reason)
			if s := r.stored(tc.key); s != nil {
				t.Fatalf("the dead-lettered OrderCreated stored a saga: %+v", s)
			}

			r.consume(topics.Orders.Events, tc.key, enginetest.Encode(t, topics.Orders.Events, validOrderCreated(tc.key)))
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
	r.tt.SetTableValue(goka.Table(topics.SagaTable.Name), "o1", enginetest.Encode(t, topics.SagaTable, stuck))

	timeout := enginetest.Encode(t, topics.SagaReplies, &sagas.StepTimedOut{OrderID: "o1", CommandID: pending, Step: saga.StepAuthorizeCustomer, At: sagaNow})
	r.consume(topics.SagaReplies, "o1", timeout)
	r.deadLettered(topics.SagaReplies, timeout,
		`the saga of order "o1" cannot send its step authorize_customer: send mallbots.customers.AuthorizeCustomer: the command has no aggregateId`)
	if s := r.stored("o1"); s == nil || s.Attempt != 0 || s.Version != 1 || !s.Deadline.Equal(stuck.Deadline) {
		t.Fatalf("the dead-lettered timeout changed the saga: %+v", s)
	}

	r.consume(topics.Orders.Events, "o2", enginetest.Encode(t, topics.Orders.Events, validOrderCreated("o2")))
	r.started("o2", "c1")
}
