package tracing

import (
	"context"
	"time"

	"github.com/lovoo/goka"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Process wraps a goka callback in a consumer span per record: a child of
// the trace context the record carries in its headers (a new root when it
// carries none), named "process <topic>" until the callback renames it
// (Span(ctx).SetName). The callback gets a goka.Context whose Context()
// holds the span and whose Emit, SetValue and Loopback put the span's
// context into the headers of what they write, so every event, result,
// snapshot, reply and command the callback writes continues the trace.
// ctx.Fail marks the span as failed. With a nil tp the span is a no-op
// that still carries the incoming context on.
func Process(tp trace.TracerProvider, group string, cb goka.ProcessCallback) goka.ProcessCallback {
	tracer := Tracer(tp)
	return func(ctx goka.Context, msg any) {
		parent := Extract(ctx.Context(), GokaHeaders(ctx.Headers()))
		sctx, span := tracer.Start(parent, "process "+string(ctx.Topic()),
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.operation.type", "process"),
				attribute.String("messaging.consumer.group.name", group),
				attribute.String("messaging.destination.name", string(ctx.Topic())),
				attribute.Int("messaging.destination.partition.id", int(ctx.Partition())),
				attribute.Int64("messaging.kafka.offset", ctx.Offset()),
				attribute.String("messaging.kafka.message.key", ctx.Key()),
			))
		defer span.End()
		tc := &tracedContext{inner: ctx, ctx: sctx, span: span}
		h := goka.Headers{}
		Inject(sctx, GokaHeaders(h))
		if len(h) > 0 {
			tc.headers = goka.WithCtxEmitHeaders(h)
		}
		cb(tc, msg)
	}
}

// Span returns the span of a goka callback wrapped by Process (a no-op
// span otherwise).
func Span(ctx goka.Context) trace.Span { return trace.SpanFromContext(ctx.Context()) }

// tracedContext is a goka.Context that carries a span. It cannot embed
// goka.Context: the embedded field's name would clash with Context().
type tracedContext struct {
	inner   goka.Context
	ctx     context.Context
	span    trace.Span
	headers goka.ContextOption // the span's trace context; nil when there is none
}

func (c *tracedContext) with(opts []goka.ContextOption) []goka.ContextOption {
	if c.headers == nil {
		return opts
	}
	return append(opts, c.headers)
}

func (c *tracedContext) Topic() goka.Stream                { return c.inner.Topic() }
func (c *tracedContext) Key() string                       { return c.inner.Key() }
func (c *tracedContext) Partition() int32                  { return c.inner.Partition() }
func (c *tracedContext) Offset() int64                     { return c.inner.Offset() }
func (c *tracedContext) Group() goka.Group                 { return c.inner.Group() }
func (c *tracedContext) Value() any                        { return c.inner.Value() }
func (c *tracedContext) Headers() goka.Headers             { return c.inner.Headers() }
func (c *tracedContext) Timestamp() time.Time              { return c.inner.Timestamp() }
func (c *tracedContext) Join(topic goka.Table) any         { return c.inner.Join(topic) }
func (c *tracedContext) Context() context.Context          { return c.ctx }
func (c *tracedContext) DeferCommit() func(error)          { return c.inner.DeferCommit() }
func (c *tracedContext) Lookup(t goka.Table, k string) any { return c.inner.Lookup(t, k) }
func (c *tracedContext) Delete(opts ...goka.ContextOption) { c.inner.Delete(opts...) }

func (c *tracedContext) SetValue(value any, opts ...goka.ContextOption) {
	c.inner.SetValue(value, c.with(opts)...)
}

func (c *tracedContext) Emit(topic goka.Stream, key string, value any, opts ...goka.ContextOption) {
	c.inner.Emit(topic, key, value, c.with(opts)...)
}

func (c *tracedContext) Loopback(key string, value any, opts ...goka.ContextOption) {
	c.inner.Loopback(key, value, c.with(opts)...)
}

func (c *tracedContext) Fail(err error) {
	c.span.RecordError(err)
	c.span.SetStatus(codes.Error, err.Error())
	c.inner.Fail(err)
}
