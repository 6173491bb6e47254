package asyncapi

import "encoding/json"

// The document's shape: the parts of AsyncAPI 3.0 that MallBots uses, with
// the Kafka bindings of version KafkaBindingVersion. Maps are keyed by id,
// and encoding/json writes map keys sorted, so the same catalogue and
// contract always give the same bytes.

// Document is an AsyncAPI 3.0 document.
type Document struct {
	AsyncAPI           string               `json:"asyncapi"`
	ID                 string               `json:"id"`
	Info               Info                 `json:"info"`
	DefaultContentType string               `json:"defaultContentType"`
	Servers            map[string]Server    `json:"servers"`
	Channels           map[string]Channel   `json:"channels"`
	Operations         map[string]Operation `json:"operations"`
	Components         Components           `json:"components"`
}

// Info is the document's title, version and description.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// Server is a broker that carries the channels.
type Server struct {
	Host        string         `json:"host"`
	Protocol    string         `json:"protocol"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	Security    []Ref          `json:"security,omitempty"`
	Bindings    ServerBindings `json:"bindings"`
}

// ServerBindings holds the Kafka server binding.
type ServerBindings struct {
	Kafka KafkaServer `json:"kafka"`
}

// KafkaServer is the Kafka server binding: where the schema registry is.
type KafkaServer struct {
	SchemaRegistryURL    string `json:"schemaRegistryUrl"`
	SchemaRegistryVendor string `json:"schemaRegistryVendor"`
	BindingVersion       string `json:"bindingVersion"`
}

// Ref is a JSON reference.
type Ref struct {
	Ref string `json:"$ref"`
}

// Channel is one topic.
type Channel struct {
	Address     string          `json:"address"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description,omitempty"`
	Servers     []Ref           `json:"servers"`
	Messages    map[string]Ref  `json:"messages"`
	Bindings    ChannelBindings `json:"bindings"`
	// Partitioner says how a key picks its partition (the Kafka bindings
	// have no field for it).
	Partitioner Partitioner `json:"x-partitioner"`
	// Principals are the Kafka principals whose ACLs let them write
	// (send) or read (receive) the topic.
	Principals Principals `json:"x-principals"`
}

// Partitioner names a partitioner and says how to get it in a client.
type Partitioner struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Principals lists who may send to and receive from a channel, as Kafka
// names them (User:mallbots-<role>), sorted.
type Principals struct {
	Send    []string `json:"send"`
	Receive []string `json:"receive"`
}

// ChannelBindings holds the Kafka channel binding.
type ChannelBindings struct {
	Kafka KafkaChannel `json:"kafka"`
}

// KafkaChannel is the Kafka channel binding: the topic and its configs.
type KafkaChannel struct {
	Topic              string             `json:"topic"`
	Partitions         int32              `json:"partitions"`
	TopicConfiguration TopicConfiguration `json:"topicConfiguration"`
	BindingVersion     string             `json:"bindingVersion"`
}

// TopicConfiguration is the topic configs the catalogue sets
// (topics/admin.Configs); retention is in milliseconds, -1 for forever, and
// absent for a compacted topic.
type TopicConfiguration struct {
	CleanupPolicy  []string `json:"cleanup.policy"`
	RetentionMs    *int64   `json:"retention.ms,omitempty"`
	RetentionBytes *int64   `json:"retention.bytes,omitempty"`
}

// Operation is what one principal may do on one channel.
type Operation struct {
	Action      string `json:"action"`
	Channel     Ref    `json:"channel"`
	Title       string `json:"title,omitempty"`
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	Messages    []Ref  `json:"messages"`
	Tags        []Tag  `json:"tags,omitempty"`
	// Principal is the Kafka principal the operation is allowed to.
	Principal string `json:"x-principal"`
}

// Tag groups operations (one per principal).
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Components holds the messages, the schemas and the security schemes
// that channels, operations and servers refer to.
type Components struct {
	Messages        map[string]Message        `json:"messages"`
	Schemas         map[string]Schema         `json:"schemas"`
	SecuritySchemes map[string]SecurityScheme `json:"securitySchemes"`
}

// Message is one record type.
type Message struct {
	Name        string          `json:"name"`
	Title       string          `json:"title,omitempty"`
	Summary     string          `json:"summary,omitempty"`
	Description string          `json:"description,omitempty"`
	ContentType string          `json:"contentType"`
	Headers     *Ref            `json:"headers,omitempty"`
	Payload     Ref             `json:"payload"`
	Bindings    MessageBindings `json:"bindings"`
}

// MessageBindings holds the Kafka message binding.
type MessageBindings struct {
	Kafka KafkaMessage `json:"kafka"`
}

// KafkaMessage is the Kafka message binding: the key, and where the
// schema id is in the value.
type KafkaMessage struct {
	Key                     Schema `json:"key"`
	SchemaIDLocation        string `json:"schemaIdLocation,omitempty"`
	SchemaIDPayloadEncoding string `json:"schemaIdPayloadEncoding,omitempty"`
	SchemaLookupStrategy    string `json:"schemaLookupStrategy,omitempty"`
	BindingVersion          string `json:"bindingVersion"`
}

// Schema is either an AsyncAPI (JSON Schema) schema, with Type and the
// fields after it, or a multi-format schema, with SchemaFormat and Schema
// (an Avro schema, as its .avsc file has it). Never both.
type Schema struct {
	SchemaFormat string          `json:"schemaFormat,omitempty"`
	Schema       json.RawMessage `json:"schema,omitempty"`

	Type        string            `json:"type,omitempty"`
	Format      string            `json:"format,omitempty"`
	Description string            `json:"description,omitempty"`
	Pattern     string            `json:"pattern,omitempty"`
	Enum        []string          `json:"enum,omitempty"`
	Properties  map[string]Schema `json:"properties,omitempty"`
	Required    []string          `json:"required,omitempty"`
}

// SecurityScheme is how a client authenticates to a server.
type SecurityScheme struct {
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}
