package saga

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/internal/metrics"
	"github.com/mallbots/mallbots/internal/tracing"
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
	h.apply(ctx, nil, Start(h.state(ctx), created, h.deps.Now(), h.deps.StepTimeout))
}

func (h *handler) onReply(ctx goka.Context, msg any) {
	v, ok := h.decode(ctx, msg)
	if !ok {
		return
	}
	raw, _ := msg.([]byte)
	now := h.deps.Now()
	switch in := v.(type) {
	case *schemas.CommandResult:
		tracing.Span(ctx).SetName("saga reply " + in.AggregateType)
		h.apply(ctx, in, OnReply(h.state(ctx), in, now, h.deps.StepTimeout))
	case *sagas.StepTimedOut:
		tracing.Span(ctx).SetName("saga timeout " + in.Step)
		h.apply(ctx, in, OnTimeout(h.state(ctx), in, now, h.deps.StepTimeout))
	default:
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
// OrderCreated) and sends its commands.
func (h *handler) apply(ctx goka.Context, input any, out Outcome) {
	log := engine.RecordLog(h.deps.Log, ctx, "order_id")
	if out.Next == nil {
		log.Debug("saga input ignored", "why", out.Ignored)
		return
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
