package policies

import (
	"log/slog"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Inputs are the event logs the policies read.
var Inputs = []topics.Aggregate{topics.Baskets, topics.ShoppingLists, topics.Orders, topics.Invoices}

// Group is the policies' goka group: stateless, one callback for every
// event log it reads.
func Group(sd *serde.Serde, log *slog.Logger) *goka.GroupGraph {
	if log == nil {
		log = slog.Default()
	}
	send := engine.Sender{Serde: sd}
	cb := func(ctx goka.Context, msg any) {
		raw, _ := msg.([]byte)
		pos := serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()}
		v, err := sd.Decode(ctx.Context(), pos, raw)
		if err != nil {
			engine.DeadLetter(ctx, log, topics.PoliciesGroup, raw, err.Error())
			return
		}
		ev, ok := v.(schemas.Event)
		if !ok {
			engine.DeadLetter(ctx, log, topics.PoliciesGroup, raw, "not an event")
			return
		}
		for _, cmd := range React(ev) {
			if err := send.Send(ctx, cmd, ""); err != nil {
				ctx.Fail(err)
			}
		}
	}
	var edges []goka.Edge
	for _, a := range Inputs {
		edges = append(edges, goka.Input(goka.Stream(a.Events.Name), new(codec.Bytes), cb))
	}
	edges = append(edges, goka.Output(goka.Stream(topics.DeadLetter.Name), new(codec.Bytes)))
	edges = append(edges, engine.CommandOutputs(topics.Orders, topics.Invoices, topics.ShoppingLists)...)
	return goka.DefineGroup(goka.Group(topics.PoliciesGroup), edges...)
}
