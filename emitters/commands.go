// Package emitters sends commands. Commands is the typed producer the HTTP
// API, the CLI, policies and the load generator use: it fills in command
// metadata, routes each command to its aggregate's command topic through
// the topics catalogue, produces it with a goka emitter (murmur2, acks from
// all in-sync replicas, idempotent), and can wait for its result on
// mallbots.results.
package emitters

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/platform/tracing"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// ErrNoResultYet is returned by SendAndWait when the command was accepted
// by Kafka but its result did not arrive before the context ended. The
// command will still be applied; its result can be awaited again.
var ErrNoResultYet = errors.New("the command was sent but its result is not known yet")

// Commands produces commands.
type Commands struct {
	sd       *serde.Serde
	results  *Results
	routes   map[string]string // Avro full name → command topic
	emitters map[string]*goka.Emitter
}

// New creates one goka emitter per aggregate command topic. results may be
// nil if only Send is used.
func New(brokers []string, sd *serde.Serde, results *Results, opts ...goka.EmitterOption) (*Commands, error) {
	return NewFor(topics.EngineAggregates(), brokers, sd, results, opts...)
}

// NewFor is New for the commands of aggs only: a producer whose principal
// may write only those command topics (the bot pool's, topics.BotPoolSends)
// has no emitter for the others, whose metadata it may not even read.
// Sending a command of another aggregate is an error.
func NewFor(aggs []topics.Aggregate, brokers []string, sd *serde.Serde, results *Results, opts ...goka.EmitterOption) (*Commands, error) {
	c := &Commands{sd: sd, results: results, routes: map[string]string{}, emitters: map[string]*goka.Emitter{}}
	for _, a := range aggs {
		for _, name := range a.Commands.Values {
			c.routes[name] = a.Commands.Name
		}
		e, err := goka.NewEmitter(brokers, goka.Stream(a.Commands.Name), new(codec.Bytes), opts...)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("emitter for %s: %w", a.Commands.Name, err)
		}
		c.emitters[a.Commands.Name] = e
	}
	return c, nil
}

// Close flushes and closes the emitters.
func (c *Commands) Close() {
	for _, e := range c.emitters {
		_ = e.Finish()
	}
}

// Prepare fills in the metadata a client may leave out: a new command id,
// the correlation id (the command id), the issue time. It returns the
// command id.
func Prepare(cmd schemas.Command) string {
	m := cmd.CommandMetadata()
	if m.CommandID == "" {
		m.CommandID = uuid.NewString()
	}
	if m.CorrelationID == "" {
		m.CorrelationID = m.CommandID
	}
	if m.IssuedAt.IsZero() {
		m.IssuedAt = time.Now().UTC()
	}
	return m.CommandID
}

// Send produces cmd and returns once Kafka acknowledged it. When ctx holds
// a span (the HTTP request's), Send traces the send as its child and puts
// the trace context in the record's headers (traceparent), so the
// aggregate's processing continues the trace; the tracer is the span's
// own provider, so Send needs none of its own. When ctx holds an issuer
// (WithIssuer), the command's issuedBy and issuerRole are set to it,
// replacing whatever they held (docs/adr/0023).
func (c *Commands) Send(ctx context.Context, cmd schemas.Command) (id string, err error) {
	id = Prepare(cmd)
	stamp(ctx, cmd)
	meta := cmd.CommandMetadata()
	if meta.AggregateID == "" {
		return id, errors.New("the command has no aggregate id")
	}
	t, ok := c.sd.TypeOf(cmd)
	if !ok {
		return id, fmt.Errorf("%T is not a command of the contract", cmd)
	}
	topic, ok := c.routes[t.Name]
	if !ok {
		return id, fmt.Errorf("%s has no command topic in the catalogue", t.Name)
	}
	b, err := c.sd.Encode(topic, cmd)
	if err != nil {
		return id, err
	}
	name := t.Name[strings.LastIndex(t.Name, ".")+1:]
	ctx, span := trace.SpanFromContext(ctx).TracerProvider().Tracer(tracing.Name).Start(ctx, "send "+name,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", topic), attribute.String("messaging.kafka.message.key", meta.AggregateID),
			attribute.String("mallbots.command", name), attribute.String("mallbots.command_id", id)))
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	var headers goka.Headers
	if span.SpanContext().IsValid() {
		headers = goka.Headers{}
		tracing.Inject(ctx, tracing.GokaHeaders(headers))
	}
	promise, err := c.emitters[topic].EmitWithHeaders(meta.AggregateID, b, headers)
	if err != nil {
		return id, fmt.Errorf("send %s to %s: %w", t.Name, topic, err)
	}
	done := make(chan error, 1)
	promise.Then(func(err error) { done <- err })
	select {
	case err := <-done:
		if err != nil {
			return id, fmt.Errorf("send %s to %s: %w", t.Name, topic, err)
		}
		return id, nil
	case <-ctx.Done():
		return id, fmt.Errorf("send %s to %s: %w", t.Name, topic, ctx.Err())
	}
}

// SendAndWait sends cmd and waits for its result: accepted with the new
// version, or the rejection. When ctx ends first it returns ErrNoResultYet
// (the command is in Kafka and will be applied).
func (c *Commands) SendAndWait(ctx context.Context, cmd schemas.Command) (schemas.CommandResult, error) {
	if c.results == nil {
		return schemas.CommandResult{}, errors.New("SendAndWait needs a Results reader")
	}
	id := Prepare(cmd)
	ch, cancel := c.results.expect(id)
	defer cancel()
	if _, err := c.Send(ctx, cmd); err != nil {
		return schemas.CommandResult{}, err
	}
	select {
	case res := <-ch:
		return res, nil
	case <-ctx.Done():
		return schemas.CommandResult{CommandID: id}, ErrNoResultYet
	}
}
