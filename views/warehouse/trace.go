package warehouse

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/tracing"
)

// WithTracer traces the projection of every record that carries a trace
// context in its headers (traceparent): a consumer span "project <topic>",
// a child of the record's context (so the event's trace reaches
// ClickHouse), from the moment the record joins a batch until the batch
// lands and is committed. One span per record rather than one per batch
// with links, so that a trace shows its own event's projection and how
// long it waited for its batch. Records without a trace context (a
// replay, a producer that does not trace) get no span, so rebuilding a
// table does not flood the tracer with new traces. Default: no tracing.
func WithTracer(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tracer = tracing.Tracer(tp)
		}
	}
}

// traceRecord starts rec's projection span, or returns nil.
func (p *Projector) traceRecord(rec *kgo.Record) trace.Span {
	if p.cfg.tracer == nil {
		return nil
	}
	parent := tracing.Extract(context.Background(), tracing.RecordHeaders{R: rec})
	if !trace.SpanContextFromContext(parent).IsValid() {
		return nil
	}
	_, span := p.cfg.tracer.Start(parent, "project "+rec.Topic,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithTimestamp(rec.Timestamp),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.consumer.group.name", p.proj.Group),
			attribute.String("messaging.destination.name", rec.Topic),
			attribute.Int("messaging.destination.partition.id", int(rec.Partition)),
			attribute.Int64("messaging.kafka.offset", rec.Offset),
			attribute.String("messaging.kafka.message.key", string(rec.Key)),
			attribute.String("mallbots.projection", p.proj.Name),
		))
	return span
}

// endSpans ends the spans of the batch's records: landed (err nil) or not.
func (b *batch) endSpans(err error) {
	for _, e := range b.entries {
		if e.span == nil {
			continue
		}
		switch {
		case err != nil:
			e.span.SetStatus(codes.Error, "the batch did not land: "+err.Error())
		case e.rows == nil:
			e.span.SetStatus(codes.Error, "skipped: the projection cannot map the record")
		default:
			e.span.SetAttributes(attribute.Int("mallbots.rows", len(e.rows)), attribute.Int("mallbots.batch_records", b.len()))
		}
		e.span.End()
	}
}

// positions names the batch's records for a log line: per partition, the
// first and last offset ("mallbots.orders.events/3@120-180").
func (b *batch) positions() []string {
	type tp struct {
		topic     string
		partition int32
	}
	first := map[tp]int64{}
	var order []tp
	for _, e := range b.entries {
		k := tp{e.rec.Topic, e.rec.Partition}
		if _, ok := first[k]; !ok {
			first[k] = e.rec.Offset
			order = append(order, k)
		}
	}
	last := b.lastPerPartition()
	out := make([]string, 0, len(order))
	for i, k := range order {
		out = append(out, fmt.Sprintf("%s/%d@%d-%d", k.topic, k.partition, first[k], last[i].Offset))
	}
	return out
}
