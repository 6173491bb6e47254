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

// InvalidCommandError is Send refusing a command for what it holds: a field
// it needs is empty. The command was derived from an input (an event, a
// reply) that lacks what the derivation needs, so sending it again would
// fail again: the group dead-letters that input (Record.DeadLetterUnsendable) and
// goes on, where any other error of Send (a bug, or Kafka) fails the record.
type InvalidCommandError struct {
	// Command is the command's record name ("mallbots.ordering.ReadyOrder").
	Command string
	// Field is the command's field that is empty: "commandId" or
	// "aggregateId".
	Field string
}

func (e *InvalidCommandError) Error() string {
	return fmt.Sprintf("send %s: the command has no %s", e.Command, e.Field)
}

// Check says whether Send would send cmd, without sending it: nil, an
// *InvalidCommandError when cmd lacks a field Send needs, or another error
// when cmd is not a command of the catalogue (a bug). A group that sends
// several commands for one input checks them all first, so that an input
// it cannot answer is dead-lettered before any of its commands is sent.
func (s Sender) Check(cmd schemas.Command) error {
	_, err := s.route(cmd)
	return err
}

// route finds cmd's command topic and checks its metadata.
func (s Sender) route(cmd schemas.Command) (topics.Topic, error) {
	t, ok := s.Serde.TypeOf(cmd)
	if !ok {
		return topics.Topic{}, fmt.Errorf("%T is not a record of the contract", cmd)
	}
	topic, ok := topics.CommandTopic(t.Name)
	if !ok {
		return topics.Topic{}, fmt.Errorf("%s has no command topic in the catalogue", t.Name)
	}
	switch meta := cmd.CommandMetadata(); {
	case meta.CommandID == "":
		return topics.Topic{}, &InvalidCommandError{Command: t.Name, Field: "commandId"}
	case meta.AggregateID == "":
		return topics.Topic{}, &InvalidCommandError{Command: t.Name, Field: "aggregateId"}
	}
	return topic, nil
}

// Send emits cmd. With a non-empty replyKey the aggregate also sends the
// result to mallbots.saga.replies keyed by replyKey. A command without a
// command id or an aggregate id is refused with an *InvalidCommandError
// (see Check).
func (s Sender) Send(ctx goka.Context, cmd schemas.Command, replyKey string) error {
	topic, err := s.route(cmd)
	if err != nil {
		return err
	}
	meta := cmd.CommandMetadata()
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
