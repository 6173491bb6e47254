package policies_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
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

// FuzzEventRecord puts an arbitrary record on one of the event logs the
// policies read, their group running under goka's tester. Whatever the record
// holds, the group handles it and goes on (a ctx.Fail or a panic would stop
// it for good, and with it every policy): a record that is no event becomes
// one dead letter carrying its value and a reason, and so does an event
// React answers with a command that has no aggregate id (or no command id);
// any other event sends exactly the commands React returns for it, each on
// its command topic keyed by its aggregate, and nothing else.
//
//	go test -run='^$' -fuzz='^FuzzEventRecord$' -fuzztime=60s -parallel 1 ./processors/policies/
func FuzzEventRecord(f *testing.F) {
	sd, _ := testkit.Serde(f)
	for i, a := range policies.Inputs {
		for _, name := range a.Events.Values {
			f.Add(uint8(i), "k", enginetest.LatestRecord(f, sd, a.Events.Name, name))
		}
		f.Add(uint8(i), "k", []byte("definitely not avro"))
	}
	// Events whose command would have no aggregate id: each stopped the
	// group (issue 20).
	unaddressed := func(topic topics.Topic, ev schemas.Event) []byte {
		b, err := sd.Encode(topic.Name, ev)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(uint8(1), "l1", unaddressed(topics.ShoppingLists.Events, &depot.ShoppingListCompleted{EventMeta: schemas.EventMeta{EventID: "e1", AggregateID: "l1"}}))
	f.Add(uint8(3), "i1", unaddressed(topics.Invoices.Events, &payments.InvoicePaid{EventMeta: schemas.EventMeta{EventID: "e1", AggregateID: "i1"}}))
	f.Add(uint8(0), "b1", unaddressed(topics.Baskets.Events, &baskets.BasketCheckedOut{EventMeta: schemas.EventMeta{EventID: "e1"}}))
	f.Add(uint8(2), "o1", unaddressed(topics.Orders.Events, &ordering.OrderReadied{EventMeta: schemas.EventMeta{EventID: "e1"}}))

	tt := tester.New(f)
	stopped := make(chan error, 1)
	failed := make(chan error, 1)
	enginetest.Start(f, tt, policies.Group(enginetest.Runtime(f, engine.WithLog(slog.New(slog.NewTextHandler(io.Discard, nil))))), stopped, enginetest.FailWatch(failed))
	outputs := []string{topics.DeadLetter.Name, topics.Orders.Commands.Name, topics.Invoices.Commands.Name, topics.ShoppingLists.Commands.Name}
	queues := map[string]*tester.QueueTracker{}
	for _, topic := range outputs {
		queues[topic] = tt.NewQueueTracker(topic)
	}

	f.Fuzz(func(t *testing.T, input uint8, key string, value []byte) {
		topic := policies.Inputs[int(input)%len(policies.Inputs)].Events.Name
		what := fmt.Sprintf("%s: key %q, value %q", topic, key, value)
		fatalf := func(format string, args ...any) {
			t.Helper()
			t.Fatalf(format+"%s", append(args, enginetest.StopNote(stopped))...)
		}
		select {
		case err := <-stopped:
			t.Fatalf("the policies' group stopped after an earlier input: %v", err)
		default:
		}
		for _, q := range queues {
			q.Seek(q.Hwm())
		}
		enginetest.Consume(t, tt, stopped, topic, key, value)
		select {
		case err := <-failed:
			t.Fatalf("%s: the policies' group failed the record (ctx.Fail): %v", what, err)
		default:
		}

		type sentCommand struct {
			topic, key string
			cmd        schemas.Command
		}
		var sent []sentCommand
		deadLetters := 0
		for _, topic := range outputs {
			for {
				headers, k, v, ok := queues[topic].NextWithHeaders()
				if !ok {
					break
				}
				b, _ := v.([]byte)
				if topic == topics.DeadLetter.Name {
					deadLetters++
					if !bytes.Equal(b, value) || len(headers[topics.HeaderDLQReason]) == 0 {
						fatalf("%s: dead letter %q with reason %q; want the record's value and a reason", what, b, headers[topics.HeaderDLQReason])
					}
					continue
				}
				cmd, err := sd.Decode(context.Background(), serde.Position{Topic: topic, Offset: -1}, b)
				if err != nil {
					fatalf("%s: sent a command that does not decode: %v", what, err)
				}
				sent = append(sent, sentCommand{topic: topic, key: k, cmd: cmd.(schemas.Command)})
			}
		}

		decoded, err := sd.Decode(context.Background(), serde.Position{Topic: topic, Offset: -1}, value)
		ev, isEvent := decoded.(schemas.Event)
		if err != nil || !isEvent {
			if deadLetters != 1 || len(sent) != 0 {
				fatalf("%s: no event, but %d dead letters and %d commands; want one dead letter", what, deadLetters, len(sent))
			}
			return
		}
		want := policies.React(ev)
		for _, w := range want {
			if m := w.CommandMetadata(); m.CommandID == "" || m.AggregateID == "" {
				// No command can be sent for it: the event is dead-lettered
				// whole, and none of its commands sent.
				if deadLetters != 1 || len(sent) != 0 {
					fatalf("%s: React returns %+v, which cannot be sent, but %d dead letters and %d commands; want one dead letter", what, w, deadLetters, len(sent))
				}
				return
			}
		}
		if deadLetters != 0 {
			fatalf("%s: an event was dead-lettered", what)
		}
		if len(sent) != len(want) {
			fatalf("%s: %d commands sent, React returns %d: %+v", what, len(sent), len(want), want)
		}
	next:
		for _, w := range want {
			if m := w.CommandMetadata(); m.CorrelationID == "" {
				m.CorrelationID = m.CommandID // what the sender fills in
			}
			typ, _ := sd.TypeOf(w)
			topic, _ := topics.CommandTopic(typ.Name)
			for _, s := range sent {
				if s.topic == topic.Name && s.key == w.CommandMetadata().AggregateID && reflect.DeepEqual(s.cmd, w) {
					continue next
				}
			}
			fatalf("%s: React returns %+v, which was not sent to %s keyed by its aggregate; sent: %+v", what, w, topic.Name, sent)
		}
	})
}
