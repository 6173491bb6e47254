package saga

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	sagas "github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Deps are what the saga's group needs.
type Deps struct {
	Serde *serde.Serde
	Log   *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// StepTimeout is how long a step waits for its reply; default
	// DefaultStepTimeout.
	StepTimeout time.Duration
	// Tracer traces each input (a span per record, continuing its trace,
	// passed on to the commands the saga sends); nil: no spans.
	Tracer trace.TracerProvider
	// Metrics counts sagas started and decided, and step timeouts; nil:
	// nothing.
	Metrics *metrics.Metrics
}

// Group is the saga's goka group: keyed by order id, co-partitioned with
// the order events and the replies.
func Group(deps Deps) *goka.GroupGraph {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.StepTimeout == 0 {
		deps.StepTimeout = DefaultStepTimeout
	}
	h := &handler{deps: deps, send: engine.Sender{Serde: deps.Serde}}
	deps.Metrics.SagaSteps(append(slices.Clone(forward), StepCancelShoppingList, StepRejectOrder)...)
	edges := []goka.Edge{
		goka.Input(goka.Stream(topics.Orders.Events.Name), new(codec.Bytes), tracing.Process(deps.Tracer, topics.SagaGroup, h.onOrderEvent)),
		goka.Input(goka.Stream(topics.SagaReplies.Name), new(codec.Bytes), tracing.Process(deps.Tracer, topics.SagaGroup, h.onReply)),
		goka.Persist(new(codec.Bytes)),
		goka.Output(goka.Stream(topics.DeadLetter.Name), new(codec.Bytes)),
	}
	edges = append(edges, engine.CommandOutputs(topics.Customers, topics.ShoppingLists, topics.Payments, topics.Orders)...)
	return goka.DefineGroup(goka.Group(topics.SagaGroup), edges...)
}

type handler struct {
	deps Deps
	send engine.Sender
}

func (h *handler) onOrderEvent(ctx goka.Context, msg any) {
	v, ok := h.decode(ctx, msg)
	if !ok {
		return
	}
	created, ok := v.(*ordering.OrderCreated)
	if !ok {
		return // the saga starts on OrderCreated; the other order events are not for it
	}
	tracing.Span(ctx).SetName("saga start OrderCreated")
	if reason := unstartable(ctx.Key(), created); reason != "" {
		raw, _ := msg.([]byte)
		engine.DeadLetterUnsendable(ctx, engine.RecordLog(h.deps.Log, ctx, "order_id"), topics.SagaGroup, raw, reason)
		return
	}
	h.apply(ctx, msg, nil, Start(h.state(ctx), created, h.deps.Now(), h.deps.StepTimeout))
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

func (h *handler) onReply(ctx goka.Context, msg any) {
	v, ok := h.decode(ctx, msg)
	if !ok {
		return
	}
	now := h.deps.Now()
	switch in := v.(type) {
	case *schemas.CommandResult:
		tracing.Span(ctx).SetName("saga reply " + in.AggregateType)
		h.apply(ctx, msg, in, OnReply(h.state(ctx), in, now, h.deps.StepTimeout))
	case *sagas.StepTimedOut:
		tracing.Span(ctx).SetName("saga timeout " + in.Step)
		h.apply(ctx, msg, in, OnTimeout(h.state(ctx), in, now, h.deps.StepTimeout))
	default:
		raw, _ := msg.([]byte)
		engine.DeadLetter(ctx, engine.RecordLog(h.deps.Log, ctx, "order_id"), topics.SagaGroup, raw, fmt.Sprintf("%T is not a saga reply", v))
	}
}

func (h *handler) decode(ctx goka.Context, msg any) (any, bool) {
	raw, _ := msg.([]byte)
	pos := serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()}
	v, err := h.deps.Serde.Decode(ctx.Context(), pos, raw)
	if err != nil {
		engine.DeadLetter(ctx, engine.RecordLog(h.deps.Log, ctx, "order_id"), topics.SagaGroup, raw, err.Error())
		return nil, false
	}
	return v, true
}

func (h *handler) state(ctx goka.Context) *sagas.CreateOrderSaga {
	raw, _ := ctx.Value().([]byte)
	if raw == nil {
		return nil
	}
	v, err := h.deps.Serde.Decode(ctx.Context(), serde.Position{Topic: topics.SagaTable.Name, Partition: ctx.Partition(), Offset: -1}, raw)
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
// OrderCreated), the record msg, and sends its commands.
//
// A command Send would refuse for what it holds dead-letters the record
// instead, storing nothing: failing the record would stop the group. An
// OrderCreated that could lead there is dead-lettered before (unstartable);
// this catches a saga stored without what its step needs, which only an
// earlier build could write (it stored the saga, then failed the record).
// Such a saga stays as it is, and the clock's timeouts for it, one every
// few seconds, are dead-lettered in turn until someone deletes it.
func (h *handler) apply(ctx goka.Context, msg any, input any, out Outcome) {
	log := engine.RecordLog(h.deps.Log, ctx, "order_id")
	if out.Next == nil {
		log.Debug("saga input ignored", "why", out.Ignored)
		return
	}
	for _, cmd := range out.Send {
		var invalid *engine.InvalidCommandError
		switch err := h.send.Check(cmd); {
		case errors.As(err, &invalid):
			raw, _ := msg.([]byte)
			engine.DeadLetterUnsendable(ctx, log, topics.SagaGroup, raw,
				fmt.Sprintf("the saga of order %q cannot send its step %s: %v", out.Next.OrderID, out.Next.Step, invalid))
			return
		case err != nil:
			ctx.Fail(err)
		}
	}
	b, err := h.deps.Serde.Encode(topics.SagaTable.Name, out.Next)
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
		h.deps.Metrics.SagaStarted()
	case *sagas.StepTimedOut:
		h.deps.Metrics.SagaStepTimedOut(in.Step)
		if slices.Contains(forward, in.Step) {
			h.deps.Metrics.SagaDecided(false, "step_timeout")
		}
	case *schemas.CommandResult:
		switch {
		case next.Status == StatusApproved:
			h.deps.Metrics.SagaDecided(true, "")
		case !in.Accepted && next.Status == StatusCompensating && isForward(in.CommandID, next.OrderID):
			h.deps.Metrics.SagaDecided(false, in.Code)
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
