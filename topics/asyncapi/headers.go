package asyncapi

import "github.com/mallbots/mallbots/topics"

// The record headers, as JSON Schema objects whose properties are header
// names. Kafka header values are bytes; every MallBots header is UTF-8
// text, so each is a string. The names come from the catalogue's header
// constants; the trace context's from W3C Trace Context.
const (
	HeaderTraceparent = "traceparent"
	HeaderTracestate  = "tracestate"
)

func headerSchemas() map[string]Schema {
	trace := map[string]Schema{
		HeaderTraceparent: {Type: "string", Pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
			Description: "W3C Trace Context of the span that wrote the record, when it was traced; a consumer continues the trace from it (platform/tracing)"},
		HeaderTracestate: {Type: "string", Description: "W3C Trace Context vendor state, when the trace has one"},
	}
	command := map[string]Schema{
		topics.HeaderForwardedFrom: {Type: "string", Description: "set on a command the aggregate re-emitted because it arrived on a partition its key does not hash to: where it arrived, <topic>/<partition>@<offset>"},
		topics.HeaderReplyTo: {Type: "string", Enum: []string{topics.SagaReplies.Name},
			Description: "asks the aggregate to also send the command's result to this topic (only " + topics.SagaReplies.Name + "), keyed by " + topics.HeaderReplyKey},
		topics.HeaderReplyKey: {Type: "string", Description: "the key of the result sent to " + topics.HeaderReplyTo + " (the saga's order id)"},
	}
	for k, v := range trace {
		command[k] = v
	}
	deadLetter := map[string]Schema{
		topics.HeaderDLQReason:    {Type: "string", Description: "why the record could not be handled"},
		topics.HeaderDLQTopic:     {Type: "string", Description: "the topic it was read from"},
		topics.HeaderDLQPartition: {Type: "string", Pattern: "^[0-9]+$", Description: "the partition it was read from (decimal)"},
		topics.HeaderDLQOffset:    {Type: "string", Pattern: "^[0-9]+$", Description: "its offset there (decimal)"},
		topics.HeaderDLQGroup:     {Type: "string", Description: "the goka group or projector that refused it"},
	}
	var required []string
	for _, h := range topics.DeadLetterHeaders("", "", 0, 0, "") {
		required = append(required, h[0])
	}
	return map[string]Schema{
		RecordHeadersID: {Type: "object", Properties: trace,
			Description: "headers MallBots writes on a record: the trace context, when traced"},
		CommandHeadersID: {Type: "object", Properties: command,
			Description: "headers of a command: the trace context, and those the saga and the aggregates' forwarding set; an external producer sets none, or traceparent"},
		DeadLetterHeadersID: {Type: "object", Properties: deadLetter, Required: required,
			Description: "where and why a record was dead-lettered (topics.DeadLetterHeaders); the original record's headers are not copied"},
	}
}
