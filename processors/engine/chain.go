package engine

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/codes"

	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Every record of every group — the aggregates, the saga, the policies,
// the notifications — runs through one chain before the group's own code:
//
//	trace      a span per record, continuing the trace its headers carry
//	observe    counts the outcome and times it (metrics.Records); a panic
//	           or ctx.Fail is logged at ERROR with the record and goes on
//	           up to goka, which stops the processor as it always has
//	record     the raw bytes, position and logger of the record (Record)
//	before...  the group's own steps on the raw record (an aggregate checks
//	           its key and partition)
//	decode     the value by its schema id, or a dead letter with the reason
//	handler    the group's code, with Record.Value decoded
//
// Goka edges carry raw bytes (codec.Bytes) and the chain decodes: goka
// stops a whole processor on a value its codec cannot decode, and a poison
// record must cost one dead letter, not a partition.

// Record is the input record a group's handler is given.
type Record struct {
	// Raw is the record's value as it was read.
	Raw []byte
	// Pos is where it was read.
	Pos serde.Position
	// Value is Raw decoded by its schema id; nil in a step before the
	// decode.
	Value any
	// Log writes lines that name the record (RecordLog).
	Log *slog.Logger

	group        string
	deadLettered bool
}

// DeadLetter copies the record to mallbots.deadletter with reason and its
// origin in headers, and logs it at WARN, so the partition can go on.
func (r *Record) DeadLetter(ctx goka.Context, reason string) {
	r.Log.Warn("dead-lettering a record", "group", r.group, "reason", reason)
	r.deadLetter(ctx, reason)
}

// DeadLetterUnsendable dead-letters the record because a command it calls
// for cannot be sent (an *InvalidCommandError, or what the group found
// wrong before asking Send), and logs it at ERROR rather than WARN: the
// record is not garbage but a well-formed input that no honest producer
// writes, so some producer is broken or hostile.
func (r *Record) DeadLetterUnsendable(ctx goka.Context, reason string) {
	r.Log.Error("dead-lettering a record: the command it calls for cannot be sent", "group", r.group, "reason", reason)
	r.deadLetter(ctx, reason)
}

func (r *Record) deadLetter(ctx goka.Context, reason string) {
	r.deadLettered = true
	headers := goka.Headers{}
	for _, h := range topics.DeadLetterHeaders(reason, r.Pos.Topic, r.Pos.Partition, r.Pos.Offset, r.group) {
		headers[h[0]] = []byte(h[1])
	}
	ctx.Emit(goka.Stream(topics.DeadLetter.Name), ctx.Key(), r.Raw, goka.WithCtxEmitHeaders(headers))
}

// Handler is a group's code for one record.
type Handler func(ctx goka.Context, rec *Record)

// Step is a group's own step before the decode: it calls next to go on, or
// answers the record itself (a dead letter, a forward) and does not.
type Step func(ctx goka.Context, rec *Record, next Handler)

// Input is a goka input edge on topic for group, whose records run through
// the chain into h. idKey names the record's key in log lines
// ("aggregate_id", "order_id"). The group needs an output edge to
// mallbots.deadletter (DeadLetterOutput).
func (rt *Runtime) Input(group, topic, idKey string, h Handler, before ...Step) goka.Edge {
	return goka.Input(goka.Stream(topic), new(codec.Bytes), rt.callback(group, idKey, h, before))
}

// DeadLetterOutput is the output edge every group that uses Input needs.
func DeadLetterOutput() goka.Edge {
	return goka.Output(goka.Stream(topics.DeadLetter.Name), new(codec.Bytes))
}

func (rt *Runtime) callback(group, idKey string, h Handler, before []Step) goka.ProcessCallback {
	decoded := rt.decode(h)
	for i := len(before) - 1; i >= 0; i-- {
		step, next := before[i], decoded
		decoded = func(ctx goka.Context, rec *Record) { step(ctx, rec, next) }
	}
	observed := rt.metrics.Records(group)
	return tracing.Process(rt.tracer, group, func(ctx goka.Context, msg any) {
		raw, _ := msg.([]byte)
		rec := &Record{
			Raw:   raw,
			Pos:   serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()},
			Log:   RecordLog(rt.log, ctx, idKey),
			group: group,
		}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				observed.Observe(metrics.Failed, time.Since(start))
				// goka stops the processor on it and logs the error without
				// the record; this line names the record that stopped it.
				rec.Log.Error("the record failed its group; goka stops the processor and it is handled again after the restart",
					"group", group, "err", fmt.Sprint(p))
				span := tracing.Span(ctx)
				span.SetStatus(codes.Error, fmt.Sprint(p))
				panic(p)
			}
			outcome := metrics.Handled
			if rec.deadLettered {
				outcome = metrics.DeadLettered
			}
			observed.Observe(outcome, time.Since(start))
		}()
		decoded(ctx, rec)
	})
}

// decode decodes the record's value by its schema id, or dead-letters it
// with the decoder's reason.
func (rt *Runtime) decode(h Handler) Handler {
	return func(ctx goka.Context, rec *Record) {
		v, err := rt.serde.Decode(ctx.Context(), rec.Pos, rec.Raw)
		if err != nil {
			rec.DeadLetter(ctx, err.Error())
			return
		}
		rec.Value = v
		h(ctx, rec)
	}
}
