package policies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Inputs are the event logs the policies read.
var Inputs = []topics.Aggregate{topics.Baskets, topics.ShoppingLists, topics.Orders, topics.Invoices}

// Group is the policies' goka group: stateless, one callback for every
// event log it reads. tp traces each event (a span per record, continuing
// its trace, passed on to the commands it sends); nil: no spans.
//
// No record stops the group, which would stop every policy: one that is
// no event is dead-lettered, and so is an event whose command could not be
// addressed (a ShoppingListCompleted without an orderId), logged at ERROR.
func Group(sd *serde.Serde, log *slog.Logger, tp trace.TracerProvider) *goka.GroupGraph {
	if log == nil {
		log = slog.Default()
	}
	send := engine.Sender{Serde: sd}
	cb := func(ctx goka.Context, msg any) {
		raw, _ := msg.([]byte)
		pos := serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()}
		v, err := sd.Decode(ctx.Context(), pos, raw)
		if err != nil {
			engine.DeadLetter(ctx, engine.RecordLog(log, ctx, "aggregate_id"), topics.PoliciesGroup, raw, err.Error())
			return
		}
		ev, ok := v.(schemas.Event)
		if !ok {
			engine.DeadLetter(ctx, engine.RecordLog(log, ctx, "aggregate_id"), topics.PoliciesGroup, raw, "not an event")
			return
		}
		rs := react(ev)
		if len(rs) == 0 {
			return
		}
		name := fmt.Sprintf("%T", ev)
		if t, ok := sd.TypeOf(ev); ok {
			name = shortName(t.Name)
			tracing.Span(ctx).SetName("react " + name)
		}
		// Check every command before sending any: an event that calls for
		// one Send refuses for what it holds is dead-lettered whole, and
		// the group goes on. Any other error is a bug and fails the record;
		// so does Kafka failing an emit (goka stops the group, and the
		// event is handled again on restart), as before.
		for _, r := range rs {
			var invalid *engine.InvalidCommandError
			switch err := send.Check(r.cmd); {
			case errors.As(err, &invalid):
				engine.DeadLetterUnsendable(ctx, engine.RecordLog(log, ctx, "aggregate_id"), topics.PoliciesGroup, raw, unsendable(name, r, invalid))
				return
			case err != nil:
				ctx.Fail(err)
			}
		}
		for _, r := range rs {
			if err := send.Send(ctx, r.cmd, ""); err != nil {
				ctx.Fail(err)
			}
			if log.Enabled(context.Background(), slog.LevelDebug) {
				t, _ := sd.TypeOf(r.cmd)
				engine.RecordLog(log, ctx, "aggregate_id").Debug("policy sent a command", "command", t.Name,
					"command_id", r.cmd.CommandMetadata().CommandID, "to", r.cmd.CommandMetadata().AggregateID)
			}
		}
	}
	var edges []goka.Edge
	for _, a := range Inputs {
		edges = append(edges, goka.Input(goka.Stream(a.Events.Name), new(codec.Bytes), tracing.Process(tp, topics.PoliciesGroup, cb)))
	}
	edges = append(edges, goka.Output(goka.Stream(topics.DeadLetter.Name), new(codec.Bytes)))
	edges = append(edges, engine.CommandOutputs(topics.Orders, topics.Invoices, topics.ShoppingLists)...)
	return goka.DefineGroup(goka.Group(topics.PoliciesGroup), edges...)
}

// unsendable is the dead letter's reason for an event (named event) whose
// reaction r Send refused: the event's field it lacks when that is where the
// command's aggregate id comes from.
func unsendable(event string, r reaction, invalid *engine.InvalidCommandError) string {
	if invalid.Field == "aggregateId" {
		return fmt.Sprintf("%s has no %s: the %s it calls for would have no aggregateId", event, r.from, shortName(invalid.Command))
	}
	return fmt.Sprintf("%s: %v", event, invalid)
}

// shortName is a record name without its namespace.
func shortName(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '.' {
			return full[i+1:]
		}
	}
	return full
}
