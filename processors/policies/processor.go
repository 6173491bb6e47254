package policies

import (
	"context"
	"log/slog"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/internal/tracing"
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
		cmds := React(ev)
		if len(cmds) == 0 {
			return
		}
		if t, ok := sd.TypeOf(ev); ok {
			tracing.Span(ctx).SetName("react " + shortName(t.Name))
		}
		for _, cmd := range cmds {
			if err := send.Send(ctx, cmd, ""); err != nil {
				ctx.Fail(err)
			}
			if log.Enabled(context.Background(), slog.LevelDebug) {
				t, _ := sd.TypeOf(cmd)
				engine.RecordLog(log, ctx, "aggregate_id").Debug("policy sent a command", "command", t.Name,
					"command_id", cmd.CommandMetadata().CommandID, "to", cmd.CommandMetadata().AggregateID)
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

// shortName is a record name without its namespace.
func shortName(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '.' {
			return full[i+1:]
		}
	}
	return full
}
