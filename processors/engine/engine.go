// Package engine runs aggregates on goka. For each aggregate it builds one
// goka group that consumes the aggregate's command topic, keeps snapshots in
// the group table and emits events, results and dead letters. The business
// rules come from processors/aggregate; this package only decodes, looks up,
// stores and emits.
//
// Every group of the processors, these and the saga's, the policies' and
// the notifications', runs its records through one middleware chain
// (chain.go) on one Runtime (runtime.go).
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Group builds the goka group graph of an aggregate: input its command
// topic, persist its snapshots, look up the tables its rules read, output
// its events, results and dead letters (and its own command topic, to
// forward a command that arrived on the wrong partition).
func Group[S any, C schemas.Command, E schemas.Event](rt *Runtime, names topics.Aggregate, rules aggregate.Rules[S, C, E], lookups []string) *goka.GroupGraph {
	h := &handler[S, C, E]{names: names, rules: rules, rt: rt}
	rt.metrics.Aggregate(names.Type)
	edges := []goka.Edge{
		rt.Input(names.Group, names.Commands.Name, "aggregate_id", h.handle, h.route),
		goka.Persist(new(codec.Bytes)),
		goka.Output(goka.Stream(names.Events.Name), new(codec.Bytes)),
		goka.Output(goka.Stream(topics.Results.Name), new(codec.Bytes)),
		DeadLetterOutput(),
		goka.Output(goka.Stream(names.Commands.Name), new(codec.Bytes)),
		goka.Output(goka.Stream(topics.SagaReplies.Name), new(codec.Bytes)),
	}
	for _, t := range lookups {
		edges = append(edges, goka.Lookup(goka.Table(t), new(codec.Bytes)))
	}
	return goka.DefineGroup(goka.Group(names.Group), edges...)
}

type handler[S any, C schemas.Command, E schemas.Event] struct {
	names    topics.Aggregate
	rules    aggregate.Rules[S, C, E]
	rt       *Runtime
	sessions sessions
	offsets  committedOffsets
}

// route is the aggregate's step before the decode: a record must be keyed
// by the aggregate's id and reach the partition that owns it.
func (h *handler[S, C, E]) route(ctx goka.Context, rec *Record, next Handler) {
	key := ctx.Key()
	if key == "" {
		rec.DeadLetter(ctx, "the record has no key: the key must be the "+h.names.Type+" id")
		return
	}
	if want := topics.PartitionFor(key, h.rt.partitions(h.names.Commands)); want != rec.Pos.Partition {
		// Produced with another partitioner: this partition does not own
		// the aggregate's state. Re-emit it keyed the Kafka way.
		rec.Log.Warn("command on the wrong partition, forwarding", "want_partition", want)
		ctx.Emit(goka.Stream(h.names.Commands.Name), key, rec.Raw, goka.WithCtxEmitHeaders(goka.Headers{
			topics.HeaderForwardedFrom: []byte(rec.Pos.String()),
		}))
		return
	}
	next(ctx, rec)
}

func (h *handler[S, C, E]) handle(ctx goka.Context, rec *Record) {
	pos, key, log := rec.Pos, ctx.Key(), rec.Log
	cmd, ok := rec.Value.(C)
	if !ok {
		rec.DeadLetter(ctx, fmt.Sprintf("%T is not a %s command", rec.Value, h.names.Type))
		return
	}
	meta := cmd.CommandMetadata()
	name := h.commandName(cmd)
	// Only a recording span keeps its name and attributes: building them
	// for every record is measurable (docs/benchmarks.md).
	span := tracing.Span(ctx)
	if span.IsRecording() {
		span.SetName("handle " + name)
		span.SetAttributes(attribute.String("mallbots.aggregate_type", h.names.Type), attribute.String("mallbots.command", name),
			attribute.String("mallbots.command_id", meta.CommandID))
	}
	switch {
	case meta.CommandID == "":
		rec.DeadLetter(ctx, "the command has no commandId")
		return
	case meta.AggregateID != key:
		rec.DeadLetter(ctx, fmt.Sprintf("the key %q is not the command's aggregateId %q", key, meta.AggregateID))
		return
	}

	snap, err := h.snapshot(ctx, pos)
	if err != nil {
		ctx.Fail(err) // our own table is unreadable: a broken invariant
	}
	facts, err := h.lookup(ctx, cmd)
	if err != nil {
		ctx.Fail(err)
	}
	present, logged, err := h.logged(ctx, pos, meta.CommandID)
	if err != nil {
		ctx.Fail(err) // the log cannot be read: retrying later is the only safe answer
	}
	var loggedEvents []E
	for _, l := range logged {
		e, ok := l.event.(E)
		if !ok {
			ctx.Fail(fmt.Errorf("%s: the log holds a %T for command %s, not a %s event", pos, l.event, meta.CommandID, h.names.Type))
		}
		loggedEvents = append(loggedEvents, e)
	}
	out, err := aggregate.Execute(h.rules, snap, aggregate.Input[C, E]{Command: cmd, Offset: pos.Offset, Now: h.rt.now(), Facts: facts, Logged: loggedEvents,
		Committed: h.committed(pos.Partition)})
	if err != nil {
		ctx.Fail(fmt.Errorf("%s: %w", pos, err))
	}
	switch {
	case out.Skip:
		h.rt.metrics.CommandRepeated(h.names.Type, "skipped")
		log.Debug("command handled before; skipping", "command_id", meta.CommandID)
	case out.Replay != nil && out.Replay.Offset != pos.Offset:
		// A client retry (same command id, new record): the original record
		// emitted the events, or will again if it is itself redelivered.
		h.rt.metrics.CommandRepeated(h.names.Type, "retry")
		log.Debug("retried command: answering its result again", "command_id", meta.CommandID)
		h.emitResult(ctx, log, out.Result)
	case out.Replay != nil:
		// The same record again, after a crash or rebalance: its state write
		// may be ahead of the table topic and its events may be missing from
		// the log, so re-write the one and emit what the other lacks.
		h.rt.metrics.CommandRepeated(h.names.Type, "redelivery")
		log.Info("redelivered command: re-writing the state and emitting what the log lacks", "command_id", meta.CommandID, "logged", len(present))
		ctx.SetValue(ctx.Value())
		for i, ev := range out.Replay.Events {
			id := schemas.EventID(meta.CommandID, i)
			switch _, inLog := present[id]; {
			case inLog:
				// nothing to emit
			case len(ev) == 0:
				// Forgotten once the command was committed, which it can
				// only be after every event was acknowledged: an offset
				// reset delivers it again, and the log tail read for it
				// should have held the event.
				log.Warn("redelivered command past its commit: an event is neither in the log tail read nor in the window", "command_id", meta.CommandID, "event_id", id)
			default:
				ctx.Emit(goka.Stream(h.names.Events.Name), key, ev)
			}
		}
		h.emitResult(ctx, log, out.Result)
	default:
		if len(logged) > 0 {
			log.Info("redelivered command whose state was lost: adopting its logged events", "command_id", meta.CommandID, "logged", len(logged))
		}
		h.apply(ctx, log, out, present)
		h.decided(span, log, name, out)
	}
}

// decided counts, traces and logs a command decided for the first time.
func (h *handler[S, C, E]) decided(span trace.Span, log *slog.Logger, command string, out aggregate.Outcome[S, E]) {
	res := out.Result
	h.rt.metrics.CommandDecided(h.names.Type, command, res.Accepted, res.Code)
	debug := log.Enabled(context.Background(), slog.LevelDebug)
	if !span.IsRecording() && !debug {
		return
	}
	events := make([]string, len(out.Events))
	for i, ev := range out.Events {
		events[i] = h.typeName(ev)
	}
	span.SetAttributes(attribute.Bool("mallbots.accepted", res.Accepted), attribute.StringSlice("mallbots.events", events),
		attribute.Int64("mallbots.aggregate_version", res.Version))
	if !res.Accepted {
		span.SetAttributes(attribute.String("mallbots.rejection_code", res.Code))
	}
	if debug {
		log.Debug("command decided", "command", command, "command_id", res.CommandID, "accepted", res.Accepted,
			"code", res.Code, "version", res.Version, "events", events)
	}
}

// commandName is the command's record name without its namespace
// ("CheckoutBasket").
func (h *handler[S, C, E]) commandName(cmd C) string { return h.typeName(cmd) }

func (h *handler[S, C, E]) typeName(v any) string {
	t, ok := h.rt.serde.TypeOf(v)
	if !ok {
		return fmt.Sprintf("%T", v)
	}
	return t.Name[strings.LastIndex(t.Name, ".")+1:]
}

// RecordLog returns log with the record a goka callback is handling: its
// topic, partition and offset, its key under idKey ("aggregate_id",
// "order_id"), and its trace id when it is traced. Every processing log
// line of a callback goes through it.
//
// The attributes are added when the first line is written, not before:
// slog's With formats them at once (a text or JSON handler renders them
// into a buffer), which was 2.4 % of the aggregate's CPU for lines that
// most records never write.
func RecordLog(log *slog.Logger, ctx goka.Context, idKey string) *slog.Logger {
	return slog.New(&recordAttrs{base: log.Handler(), topic: string(ctx.Topic()), partition: ctx.Partition(), offset: ctx.Offset(),
		idKey: idKey, key: ctx.Key(), span: trace.SpanContextFromContext(ctx.Context())})
}

// recordAttrs is a slog.Handler that adds a record's attributes to base
// the first time a line gets past Enabled.
type recordAttrs struct {
	base      slog.Handler
	topic     string
	partition int32
	offset    int64
	idKey     string
	key       string
	span      trace.SpanContext

	once sync.Once
	with slog.Handler
}

func (h *recordAttrs) handler() slog.Handler {
	h.once.Do(func() {
		attrs := []slog.Attr{slog.String("topic", h.topic), slog.Int("partition", int(h.partition)), slog.Int64("offset", h.offset),
			slog.String(h.idKey, h.key)}
		if h.span.IsValid() {
			attrs = append(attrs, slog.String("trace_id", h.span.TraceID().String()))
		}
		h.with = h.base.WithAttrs(attrs)
	})
	return h.with
}

func (h *recordAttrs) Enabled(ctx context.Context, l slog.Level) bool { return h.base.Enabled(ctx, l) }
func (h *recordAttrs) Handle(ctx context.Context, r slog.Record) error {
	return h.handler().Handle(ctx, r)
}
func (h *recordAttrs) WithAttrs(attrs []slog.Attr) slog.Handler { return h.handler().WithAttrs(attrs) }
func (h *recordAttrs) WithGroup(name string) slog.Handler       { return h.handler().WithGroup(name) }

// apply writes a new outcome; present are the events the log already
// holds (kept byte for byte, not emitted again).
//
// Each new event is sealed into the aggregate's hash chain as it is
// encoded: its prevHash is the hash of the event before it, the snapshot's
// LastHash for the first, and the snapshot keeps the last one's hash
// (docs/adr/0021). A logged event is the chain's as the log holds it. The
// window keeps the sealed bytes, so a redelivery re-emits the same hashes.
// Only a benchmark turns the chain off (WithChainSwitchForMeasurement).
func (h *handler[S, C, E]) apply(ctx goka.Context, log *slog.Logger, out aggregate.Outcome[S, E], present map[string]loggedEvent) {
	encoded := make([][]byte, len(out.Events))
	emit := make([]bool, len(out.Events))
	var prev string
	if out.Next != nil {
		prev = out.Next.LastHash
	}
	unchained := h.rt.unchained()
	for i, ev := range out.Events {
		if l, ok := present[ev.EventMetadata().EventID]; ok {
			encoded[i] = l.value
			prev = l.event.EventMetadata().Hash
			continue
		}
		emit[i] = true
		var b []byte
		var sum string
		var err error
		if unchained {
			b, err = h.rt.serde.Encode(h.names.Events.Name, ev) // prevHash and hash stay empty
		} else {
			b, sum, err = h.rt.serde.Seal(h.names.Events.Name, ev, prev, h.rt.chain)
		}
		if err != nil {
			ctx.Fail(err)
		}
		encoded[i], prev = b, sum
	}
	if out.Next != nil {
		out.Next.LastHash = prev
		out.Next.Recent[len(out.Next.Recent)-1].Events = encoded
		b, err := h.rt.serde.Encode(h.names.Table.Name, out.Next)
		if err != nil {
			ctx.Fail(err)
		}
		ctx.SetValue(b)
	}
	for i, b := range encoded {
		if emit[i] {
			ctx.Emit(goka.Stream(h.names.Events.Name), ctx.Key(), b)
		}
	}
	h.emitResult(ctx, log, out.Result)
}

func (h *handler[S, C, E]) emitResult(ctx goka.Context, log *slog.Logger, res schemas.CommandResult) {
	b, err := h.rt.serde.Encode(topics.Results.Name, &res)
	if err != nil {
		ctx.Fail(err)
	}
	ctx.Emit(goka.Stream(topics.Results.Name), res.CommandID, b)
	// A command sent by the saga asks for its result as a reply too, keyed
	// by the order so that it reaches the partition owning the saga.
	headers := ctx.Headers()
	if to := string(headers[topics.HeaderReplyTo]); to != "" {
		if to != topics.SagaReplies.Name {
			log.Warn("ignoring a reply-to topic other than the saga's", "reply_to", to, "command_id", res.CommandID)
			return
		}
		key := string(headers[topics.HeaderReplyKey])
		if key == "" {
			key = res.CorrelationID
		}
		ctx.Emit(goka.Stream(topics.SagaReplies.Name), key, b)
	}
}

func (h *handler[S, C, E]) snapshot(ctx goka.Context, pos serde.Position) (*schemas.Snapshot[S], error) {
	raw, _ := ctx.Value().([]byte)
	if raw == nil {
		return nil, nil
	}
	v, err := h.rt.serde.Decode(ctx.Context(), serde.Position{Topic: h.names.Table.Name, Partition: pos.Partition, Offset: -1}, raw)
	if err != nil {
		return nil, fmt.Errorf("read the %s snapshot of %q: %w", h.names.Type, ctx.Key(), err)
	}
	snap, ok := v.(*schemas.Snapshot[S])
	if !ok {
		return nil, fmt.Errorf("the %s table holds a %T for %q", h.names.Type, v, ctx.Key())
	}
	return snap, nil
}

// maxLookupRounds bounds how many times Needs is asked: a rule follows at
// most a short chain of references.
const maxLookupRounds = 4

// DefaultLookupGrace is the lookup grace the system runs with
// (WithLookupGrace).
const DefaultLookupGrace = 500 * time.Millisecond

// LookupCatchUpLimit bounds how long a miss waits for the group's copy of
// the table to catch up (LookupCaughtUp). It holds the partition meanwhile;
// a copy that far behind is a fault, logged, not a reason to stop.
const LookupCatchUpLimit = 10 * time.Second

// CatchUpFunc waits until group's copy of table holds everything the
// table's topic held, in key's partition, when it was called
// (gokart.Lookups.CatchUp).
type CatchUpFunc func(ctx context.Context, group, table, key string) error

// LookupCaughtUp reads key from group's copy of table (a goka Lookup edge).
// On a miss it waits, at most LookupCatchUpLimit, for catchUp (nil: none)
// to bring the copy up to what the topic held, and reads again: each group
// reads other aggregates from a copy of its own, which may be behind the
// copy another group (the API's view) just answered from. The error is
// catchUp's, with a nil value: the copy may still be behind.
func LookupCaughtUp(ctx goka.Context, catchUp CatchUpFunc, group, table, key string) ([]byte, error) {
	raw, _ := ctx.Lookup(goka.Table(table), key).([]byte)
	if raw != nil || catchUp == nil {
		return raw, nil
	}
	c, cancel := context.WithTimeout(ctx.Context(), LookupCatchUpLimit)
	defer cancel()
	if err := catchUp(c, group, table, key); err != nil {
		return nil, err
	}
	raw, _ = ctx.Lookup(goka.Table(table), key).([]byte)
	return raw, nil
}

// lookupOne reads a key of another aggregate's table. A miss waits for
// this group's copy of the table to catch up with the topic, then for the
// rest of the grace period, counted from the miss, for what may still be on
// its way to the topic.
func (h *handler[S, C, E]) lookupOne(ctx goka.Context, ref aggregate.Ref) []byte {
	deadline := time.Now().Add(h.rt.lookupGrace)
	raw, err := LookupCaughtUp(ctx, h.rt.catchUp, h.names.Group, ref.Table, ref.Key)
	if err != nil {
		h.rt.log.Warn("a lookup that missed could not wait for the table to catch up; the grace period alone decides", "table", ref.Table, "key", ref.Key, "err", err)
	}
	for raw == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		raw, _ = ctx.Lookup(goka.Table(ref.Table), ref.Key).([]byte)
	}
	return raw
}

func (h *handler[S, C, E]) lookup(ctx goka.Context, cmd C) (aggregate.Facts, error) {
	if h.rules.Needs == nil {
		return nil, nil
	}
	facts := aggregate.Facts{}
	for range maxLookupRounds {
		fresh := 0
		for _, ref := range h.rules.Needs(cmd, facts) {
			if _, seen := facts[ref]; seen {
				continue
			}
			fresh++
			raw := h.lookupOne(ctx, ref)
			if raw == nil {
				facts[ref] = nil
				continue
			}
			v, err := h.rt.serde.Decode(ctx.Context(), serde.Position{Topic: ref.Table, Offset: -1}, raw)
			if err != nil {
				return nil, fmt.Errorf("look up %s in %s: %w", ref.Key, ref.Table, err)
			}
			facts[ref] = v
		}
		if fresh == 0 {
			break
		}
	}
	return facts, nil
}
