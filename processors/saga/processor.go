package saga

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/attribute"

	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	sagas "github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Group is the saga's goka group: keyed by order id, co-partitioned with
// the order events and the replies. A step waits stepTimeout for its reply
// (0: DefaultStepTimeout).
func Group(rt *engine.Runtime, stepTimeout time.Duration) *goka.GroupGraph {
	if stepTimeout == 0 {
		stepTimeout = DefaultStepTimeout
	}
	h := &handler{rt: rt, stepTimeout: stepTimeout, send: engine.Sender{Serde: rt.Serde()}}
	rt.Metrics().SagaSteps(append(slices.Clone(forward), StepCancelShoppingList, StepRejectOrder)...)
	edges := []goka.Edge{
		rt.Input(topics.SagaGroup, topics.Orders.Events.Name, "order_id", h.onOrderEvent),
		rt.Input(topics.SagaGroup, topics.SagaReplies.Name, "order_id", h.onReply),
		goka.Persist(new(codec.Bytes)),
		engine.DeadLetterOutput(),
	}
	edges = append(edges, engine.CommandOutputs(topics.Customers, topics.ShoppingLists, topics.Payments, topics.Orders)...)
	return goka.DefineGroup(goka.Group(topics.SagaGroup), edges...)
}

type handler struct {
	rt          *engine.Runtime
	stepTimeout time.Duration
	send        engine.Sender
}

func (h *handler) onOrderEvent(ctx goka.Context, rec *engine.Record) {
	created, ok := rec.Value.(*ordering.OrderCreated)
	if !ok {
		return // the saga starts on OrderCreated; the other order events are not for it
	}
	tracing.Span(ctx).SetName("saga start OrderCreated")
	if reason := unstartable(ctx.Key(), created); reason != "" {
		rec.DeadLetterUnsendable(ctx, reason)
		return
	}
	h.apply(ctx, rec, nil, Start(h.state(ctx), created, h.rt.Now(), h.stepTimeout))
}

// unstartable says why no saga starts on ev, a record keyed key ("" when one
// can): an OrderCreated without what some step's command is addressed to
// (the order, the customer, the payment) or without items. The order
// aggregate never writes one (it refuses such a CreateOrder), but any Kafka
// client can, and a step that cannot be sent used to stop the group, and
// every saga of its partitions with it.
//
// Such an event is dead-lettered, not answered with a saga that rejects
// the order: it is not the order aggregate's, so the order it names was not
// created by it (a RejectOrder would be refused, or, should the id be a
// real order's, reject that order on a forger's word), and a dead letter
// keeps it, with the reason, for whoever looks into who wrote it. Nothing
// is stored for it: a valid OrderCreated of the same order still starts
// its saga.
func unstartable(key string, ev *ordering.OrderCreated) string {
	switch {
	case ev.AggregateID == "":
		return "OrderCreated has no aggregateId: the saga could neither approve nor reject the order"
	case ev.AggregateID != key:
		return fmt.Sprintf("the key %q is not the OrderCreated's aggregateId %q: the saga's replies would reach another key", key, ev.AggregateID)
	case ev.CustomerID == "":
		return "OrderCreated has no customerId: the AuthorizeCustomer it calls for would have no aggregateId"
	case ev.PaymentID == "":
		return "OrderCreated has no paymentId: the ConfirmPayment it calls for would have no aggregateId"
	case len(ev.Items) == 0:
		return "OrderCreated has no items: the order aggregate creates no such order, and there is nothing to shop for"
	}
	return ""
}

func (h *handler) onReply(ctx goka.Context, rec *engine.Record) {
	now := h.rt.Now()
	switch in := rec.Value.(type) {
	case *schemas.CommandResult:
		tracing.Span(ctx).SetName("saga reply " + in.AggregateType)
		h.apply(ctx, rec, in, OnReply(h.state(ctx), in, now, h.stepTimeout))
	case *sagas.StepTimedOut:
		tracing.Span(ctx).SetName("saga timeout " + in.Step)
		h.apply(ctx, rec, in, OnTimeout(h.state(ctx), in, now, h.stepTimeout))
	default:
		rec.DeadLetter(ctx, fmt.Sprintf("%T is not a saga reply", in))
	}
}

func (h *handler) state(ctx goka.Context) *sagas.CreateOrderSaga {
	raw, _ := ctx.Value().([]byte)
	if raw == nil {
		return nil
	}
	v, err := h.rt.Serde().Decode(ctx.Context(), serde.Position{Topic: topics.SagaTable.Name, Partition: ctx.Partition(), Offset: -1}, raw)
	if err != nil {
		ctx.Fail(fmt.Errorf("read the saga of %s: %w", ctx.Key(), err))
	}
	s, ok := v.(*sagas.CreateOrderSaga)
	if !ok {
		ctx.Fail(fmt.Errorf("the saga table holds a %T for %s", v, ctx.Key()))
	}
	return s
}

// apply stores the outcome of input (the reply or timeout; nil for
// OrderCreated), the record rec, and sends its commands.
//
// A command Send would refuse for what it holds dead-letters the record
// instead, storing nothing: failing the record would stop the group. An
// OrderCreated that could lead there is dead-lettered before (unstartable);
// this catches a saga stored without what its step needs, which only an
// earlier build could write (it stored the saga, then failed the record).
// Such a saga stays as it is, and the clock's timeouts for it, one every
// few seconds, are dead-lettered in turn until someone deletes it.
func (h *handler) apply(ctx goka.Context, rec *engine.Record, input any, out Outcome) {
	log := rec.Log
	if out.Next == nil {
		log.Debug("saga input ignored", "why", out.Ignored)
		return
	}
	for _, cmd := range out.Send {
		var invalid *engine.InvalidCommandError
		switch err := h.send.Check(cmd); {
		case errors.As(err, &invalid):
			rec.DeadLetterUnsendable(ctx, fmt.Sprintf("the saga of order %q cannot send its step %s: %v", out.Next.OrderID, out.Next.Step, invalid))
			return
		case err != nil:
			ctx.Fail(err)
		}
	}
	b, err := h.rt.Serde().Encode(topics.SagaTable.Name, out.Next)
	if err != nil {
		ctx.Fail(err)
	}
	ctx.SetValue(b)
	for _, cmd := range out.Send {
		if err := h.send.Send(ctx, cmd, out.Next.OrderID); err != nil {
			ctx.Fail(err)
		}
	}
	h.observe(ctx, input, out.Next)
	log.Debug("saga advanced", "status", out.Next.Status, "step", out.Next.Step, "reason", out.Next.Reason)
}

// observe counts and traces what an input decided: a saga started, a step
// timed out, the order approved, or a failure that rejects it (counted when
// it starts the compensation, with the reply's rejection code or
// step_timeout as the reason).
func (h *handler) observe(ctx goka.Context, input any, next *sagas.CreateOrderSaga) {
	span := tracing.Span(ctx)
	span.SetAttributes(attribute.String("mallbots.saga_status", next.Status), attribute.String("mallbots.saga_step", next.Step))
	switch in := input.(type) {
	case nil:
		h.rt.Metrics().SagaStarted()
	case *sagas.StepTimedOut:
		h.rt.Metrics().SagaStepTimedOut(in.Step)
		if slices.Contains(forward, in.Step) {
			h.rt.Metrics().SagaDecided(false, "step_timeout")
		}
	case *schemas.CommandResult:
		switch {
		case next.Status == StatusApproved:
			h.rt.Metrics().SagaDecided(true, "")
		case !in.Accepted && next.Status == StatusCompensating && isForward(in.CommandID, next.OrderID):
			h.rt.Metrics().SagaDecided(false, in.Code)
		}
	}
}

// isForward says whether commandID is a forward step's command of order
// (not a compensation's).
func isForward(commandID, orderID string) bool {
	for _, st := range forward {
		if StepCommandID(orderID, st) == commandID {
			return true
		}
	}
	return false
}
