package engine

import (
	"fmt"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// CommandOutputs are the goka output edges a group needs to send commands
// to these aggregates.
func CommandOutputs(aggs ...topics.Aggregate) []goka.Edge {
	edges := make([]goka.Edge, len(aggs))
	for i, a := range aggs {
		edges[i] = goka.Output(goka.Stream(a.Commands.Name), new(codec.Bytes))
	}
	return edges
}

// Sender sends commands from inside goka callbacks (policies, the saga):
// it routes each command to its aggregate's command topic through the
// catalogue and encodes it. Give commands deterministic ids derived from
// what caused them, so a redelivered event sends the same command and the
// aggregate answers it once.
type Sender struct {
	Serde *serde.Serde
}

// Send emits cmd. With a non-empty replyKey the aggregate also sends the
// result to mallbots.saga.replies keyed by replyKey.
func (s Sender) Send(ctx goka.Context, cmd schemas.Command, replyKey string) error {
	t, ok := s.Serde.TypeOf(cmd)
	if !ok {
		return fmt.Errorf("%T is not a record of the contract", cmd)
	}
	topic, ok := topics.CommandTopic(t.Name)
	if !ok {
		return fmt.Errorf("%s has no command topic in the catalogue", t.Name)
	}
	meta := cmd.CommandMetadata()
	if meta.CommandID == "" || meta.AggregateID == "" {
		return fmt.Errorf("send %s: the command needs a command id and an aggregate id", t.Name)
	}
	if meta.CorrelationID == "" {
		meta.CorrelationID = meta.CommandID
	}
	b, err := s.Serde.Encode(topic.Name, cmd)
	if err != nil {
		return err
	}
	var opts []goka.ContextOption
	if replyKey != "" {
		opts = append(opts, goka.WithCtxEmitHeaders(goka.Headers{
			topics.HeaderReplyTo:  []byte(topics.SagaReplies.Name),
			topics.HeaderReplyKey: []byte(replyKey),
		}))
	}
	ctx.Emit(goka.Stream(topic.Name), meta.AggregateID, b, opts...)
	return nil
}

// CommandID derives a deterministic command id from what caused it, e.g.
// CommandID(eventID, "create-order").
func CommandID(cause, purpose string) string { return schemas.DerivedID(cause + "/" + purpose) }
