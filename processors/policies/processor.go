package policies

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// Inputs are the event logs the policies read.
var Inputs = []topics.Aggregate{topics.Baskets, topics.ShoppingLists, topics.Orders, topics.Invoices}

// Group is the policies' goka group: stateless, one handler for every
// event log it reads.
//
// No record stops the group, which would stop every policy: one that is
// no event is dead-lettered, and so is an event whose command could not be
// addressed (a ShoppingListCompleted without an orderId), logged at ERROR.
func Group(rt *engine.Runtime) *goka.GroupGraph {
	p := &policies{rt: rt, send: engine.Sender{Serde: rt.Serde()}}
	var edges []goka.Edge
	for _, a := range Inputs {
		edges = append(edges, rt.Input(topics.PoliciesGroup, a.Events.Name, "aggregate_id", p.handle))
	}
	edges = append(edges, engine.DeadLetterOutput())
	edges = append(edges, engine.CommandOutputs(topics.Orders, topics.Invoices, topics.ShoppingLists)...)
	return goka.DefineGroup(goka.Group(topics.PoliciesGroup), edges...)
}

type policies struct {
	rt   *engine.Runtime
	send engine.Sender
}

func (p *policies) handle(ctx goka.Context, rec *engine.Record) {
	ev, ok := rec.Value.(schemas.Event)
	if !ok {
		rec.DeadLetter(ctx, "not an event")
		return
	}
	rs := react(ev)
	if len(rs) == 0 {
		return
	}
	sd := p.rt.Serde()
	name := fmt.Sprintf("%T", ev)
	if t, ok := sd.TypeOf(ev); ok {
		name = shortName(t.Name)
		tracing.Span(ctx).SetName("react " + name)
	}
	// Check every command before sending any: an event that calls for one
	// Send refuses for what it holds is dead-lettered whole, and the group
	// goes on. Any other error is a bug and fails the record; so does Kafka
	// failing an emit (goka stops the group, and the event is handled again
	// on restart), as before.
	for _, r := range rs {
		var invalid *engine.InvalidCommandError
		switch err := p.send.Check(r.cmd); {
		case errors.As(err, &invalid):
			rec.DeadLetterUnsendable(ctx, unsendable(name, r, invalid))
			return
		case err != nil:
			ctx.Fail(err)
		}
	}
	for _, r := range rs {
		if err := p.send.Send(ctx, r.cmd, ""); err != nil {
			ctx.Fail(err)
		}
		if rec.Log.Enabled(ctx.Context(), slog.LevelDebug) {
			t, _ := sd.TypeOf(r.cmd)
			rec.Log.Debug("policy sent a command", "command", t.Name,
				"command_id", r.cmd.CommandMetadata().CommandID, "to", r.cmd.CommandMetadata().AggregateID)
		}
	}
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
