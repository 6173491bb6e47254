package saga_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	sagas "github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// FuzzSagaRecords puts two arbitrary records under one key on the topics the
// create-order saga reads, its group running under goka's tester with an
// empty table: the first on the order events (where OrderCreated starts a
// saga), the second on the saga's replies or on the order events again.
// Whatever they hold, the group handles both and goes on (a ctx.Fail or a
// panic would stop every saga of the partition for good). A record that does
// not decode becomes one dead letter carrying its value and a reason; a
// record dead-lettered, for that or for what it holds (an OrderCreated that
// a step's command could not be addressed for), sends no command and changes
// no saga; every command the saga sends decodes, is keyed by its aggregate
// and asks for its reply on mallbots.saga.replies; what the saga stores is a
// saga.
//
//	go test -run='^$' -fuzz='^FuzzSagaRecords$' -fuzztime=60s -parallel 1 ./processors/saga/
func FuzzSagaRecords(f *testing.F) {
	sd, _ := testkit.Serde(f)
	fixture := func(topic topics.Topic, name string) []byte {
		return enginetest.LatestRecord(f, sd, topic.Name, name)
	}
	created := fixture(topics.Orders.Events, "mallbots.ordering.OrderCreated")
	v, err := sd.Decode(context.Background(), serde.Position{Topic: topics.Orders.Events.Name, Offset: -1}, created)
	if err != nil {
		f.Fatal(err)
	}
	order := v.(*ordering.OrderCreated).AggregateID
	reply := func(accepted bool) []byte {
		r := &schemas.CommandResult{CommandID: saga.StepCommandID(order, saga.StepAuthorizeCustomer), AggregateID: order,
			AggregateType: "customer", CorrelationID: order, Accepted: accepted, Version: 1}
		if !accepted {
			r.Code, r.Message, r.Kind = "customer_not_authorized", "no", "invalid"
		}
		b, err := sd.Encode(topics.SagaReplies.Name, r)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(order, created, reply(true), true)
	f.Add(order, created, reply(false), true)
	f.Add(order, created, fixture(topics.SagaReplies, "mallbots.saga.StepTimedOut"), true)
	f.Add(order, created, fixture(topics.SagaReplies, "mallbots.core.CommandResult"), true)
	f.Add(order, created, created, false)
	f.Add(order, fixture(topics.Orders.Events, "mallbots.ordering.OrderCanceled"), []byte("definitely not avro"), true)
	f.Add("", []byte{0, 0, 0, 0, 1}, created, true)
	// OrderCreated without what a step's command is addressed to: each
	// stopped the group (issue 20).
	encode := func(topic topics.Topic, v any) []byte {
		b, err := sd.Encode(topic.Name, v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	bare := encode(topics.Orders.Events, &ordering.OrderCreated{EventMeta: schemas.EventMeta{EventID: "e1", AggregateID: "o1"}})
	f.Add("o1", bare, bare, false)
	f.Add("o1", encode(topics.Orders.Events, &ordering.OrderCreated{EventMeta: schemas.EventMeta{EventID: "e1", AggregateID: "o1"}, CustomerID: "c1",
		Items: []ordering.OrderItem{{ProductID: "p1", StoreID: "s1", Quantity: 1, PriceCents: 999}}, TotalCents: 999}), reply(true), true)
	f.Add("o2", created, created, false)

	tt := tester.New(f)
	stopped := make(chan error, 1)
	failed := make(chan error, 1)
	rt := enginetest.Runtime(f, engine.WithLog(slog.New(slog.NewTextHandler(io.Discard, nil))))
	enginetest.Start(f, tt, saga.Group(rt, 0), stopped, enginetest.FailWatch(failed))
	commandTopics := []string{topics.Customers.Commands.Name, topics.ShoppingLists.Commands.Name, topics.Payments.Commands.Name, topics.Orders.Commands.Name}
	queues := map[string]*tester.QueueTracker{topics.DeadLetter.Name: tt.NewQueueTracker(topics.DeadLetter.Name)}
	for _, topic := range commandTopics {
		queues[topic] = tt.NewQueueTracker(topic)
	}

	f.Fuzz(func(t *testing.T, key string, first, second []byte, secondIsReply bool) {
		select {
		case err := <-stopped:
			t.Fatalf("the saga's group stopped after an earlier input: %v", err)
		default:
		}
		tt.ClearValues()
		for _, q := range queues {
			q.Seek(q.Hwm())
		}
		secondTopic := topics.Orders.Events.Name
		if secondIsReply {
			secondTopic = topics.SagaReplies.Name
		}
		for _, rec := range []struct {
			topic string
			value []byte
		}{{topics.Orders.Events.Name, first}, {secondTopic, second}} {
			what := fmt.Sprintf("%s: key %q, value %q (first %q)", rec.topic, key, rec.value, first)
			fatalf := func(format string, args ...any) {
				t.Helper()
				t.Fatalf(format+"%s", append(args, enginetest.StopNote(stopped))...)
			}
			before, _ := tt.TableValue(goka.Table(topics.SagaTable.Name), key).([]byte)
			enginetest.Consume(t, tt, stopped, rec.topic, key, rec.value)
			select {
			case err := <-failed:
				t.Fatalf("%s: the saga's group failed the record (ctx.Fail): %v", what, err)
			default:
			}

			_, decodeErr := sd.Decode(context.Background(), serde.Position{Topic: rec.topic, Offset: -1}, rec.value)
			deadLetters := 0
			for {
				headers, _, v, ok := queues[topics.DeadLetter.Name].NextWithHeaders()
				if !ok {
					break
				}
				deadLetters++
				if b, _ := v.([]byte); !bytes.Equal(b, rec.value) || len(headers[topics.HeaderDLQReason]) == 0 {
					fatalf("%s: dead letter %q with reason %q; want the record's value and a reason", what, b, headers[topics.HeaderDLQReason])
				}
			}
			if decodeErr != nil && deadLetters != 1 {
				fatalf("%s: does not decode (%v) but %d dead letters; want one", what, decodeErr, deadLetters)
			}
			for _, topic := range commandTopics {
				for {
					if deadLetters > 0 {
						if _, _, ok := queues[topic].Next(); ok {
							fatalf("%s: dead-lettered, yet the saga sent a command to %s", what, topic)
						}
						break
					}
					headers, k, v, ok := queues[topic].NextWithHeaders()
					if !ok {
						break
					}
					b, _ := v.([]byte)
					cmd, err := sd.Decode(context.Background(), serde.Position{Topic: topic, Offset: -1}, b)
					if err != nil {
						fatalf("%s: the saga sent a command to %s that does not decode: %v", what, topic, err)
					}
					c, ok := cmd.(schemas.Command)
					if !ok || k == "" || k != c.CommandMetadata().AggregateID || string(headers[topics.HeaderReplyTo]) != topics.SagaReplies.Name {
						fatalf("%s: the saga sent %+v keyed %q with headers %q; want a command keyed by its aggregate asking for a reply", what, cmd, k, headers)
					}
				}
			}
			raw, _ := tt.TableValue(goka.Table(topics.SagaTable.Name), key).([]byte)
			if deadLetters > 0 && !bytes.Equal(raw, before) {
				fatalf("%s: dead-lettered, yet the saga changed what it stored", what)
			}
			if raw != nil {
				v, err := sd.Decode(context.Background(), serde.Position{Topic: topics.SagaTable.Name, Offset: -1}, raw)
				if _, ok := v.(*sagas.CreateOrderSaga); err != nil || !ok {
					fatalf("%s: the saga stored %T (%v), not a saga", what, v, err)
				}
			}
		}
	})
}
