// Package asyncapi describes MallBots' topics as an AsyncAPI 3.0 document,
// generated from the topic catalogue (package topics), its principals'
// ACLs and the Avro contract (schemas/contract): every topic is a channel
// with its key, partitioner, cleanup policy and retention in Kafka
// bindings; every record type a message with its Avro schema and headers;
// every principal's right to write or read a topic an operation. It
// consumes nothing at run time and produces the document's bytes, the same
// for the same code (`mallbots topics asyncapi`, GET /api/asyncapi.json).
package asyncapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// The versions the document is written in.
const (
	// Version is the AsyncAPI specification version.
	Version = "3.0.0"
	// KafkaBindingVersion is the version of the Kafka bindings used.
	KafkaBindingVersion = "0.5.0"
	// AvroSchemaFormat is the schemaFormat of the records' Avro schemas.
	AvroSchemaFormat = "application/vnd.apache.avro;version=1.9.0"
	// AvroContentType is the content type of a Confluent-framed Avro value.
	AvroContentType = "avro/binary"
	// Partitioner is the x-partitioner name of every channel.
	PartitionerName = "murmur2"
)

// The ids of what the document declares besides topics and record types.
const (
	ServerID         = "mallbots"
	SecuritySchemeID = "scramSha512"
	// The header schemas.
	CommandHeadersID    = "CommandHeaders"
	RecordHeadersID     = "RecordHeaders"
	DeadLetterHeadersID = "DeadLetterHeaders"
	// The messages (and their payload schemas) of the two topics whose
	// values are not Avro.
	DeadLetterMessageID = "DeadLetter"
	RegistryMessageID   = "SchemaRegistryRecord"
)

// Action is what an operation does: send (the principal may WRITE the
// topic) or receive (it may READ it).
const (
	Send    = "send"
	Receive = "receive"
)

// Generate builds the document from the catalogue and the contract.
func Generate() (Document, error) {
	types, err := contract.Types()
	if err != nil {
		return Document{}, fmt.Errorf("load the Avro contract: %w", err)
	}
	byName := make(map[string]schemas.Type, len(types))
	for _, t := range types {
		byName[t.Name] = t
	}
	d := Document{
		AsyncAPI:           Version,
		ID:                 "urn:mallbots:topics",
		Info:               info(),
		DefaultContentType: AvroContentType,
		Servers:            map[string]Server{ServerID: server()},
		Channels:           map[string]Channel{},
		Operations:         map[string]Operation{},
		Components: Components{
			Messages:        map[string]Message{},
			Schemas:         headerSchemas(),
			SecuritySchemes: map[string]SecurityScheme{SecuritySchemeID: scram()},
		},
	}
	for _, t := range topics.All() {
		ch := channel(t)
		ids, err := d.addMessages(t, byName)
		if err != nil {
			return Document{}, err
		}
		for _, id := range ids {
			ch.Messages[id] = Ref{"#/components/messages/" + MessageID(t.Name, id)}
		}
		ch.Principals = principalsOf(t.Name)
		d.Channels[t.Name] = ch
		d.addOperations(t.Name, ids)
	}
	return d, nil
}

// JSON is the document as indented JSON, its info.version the first 12
// hex digits of the SHA-256 of the document written with an empty version:
// it changes exactly when the contract or the catalogue does.
func JSON() ([]byte, error) { return cached() }

var cached = sync.OnceValues(func() ([]byte, error) {
	d, err := Generate()
	if err != nil {
		return nil, err
	}
	unversioned, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(unversioned)
	d.Info.Version = "0.0.0-" + hex.EncodeToString(sum[:6])
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
})

func info() Info {
	return Info{
		Title: "MallBots topics",
		Description: "Every Kafka topic of MallBots, generated from the topic catalogue (topics/catalogue.go), " +
			"its ACLs (topics/principals.go) and the Avro contract (schemas/**/*.avsc).\n\n" +
			"- **Key**: what each channel's messages' Kafka binding `key` says, as UTF-8 bytes (not Avro).\n" +
			"- **Partitioner**: murmur2 of the key, masked positive, modulo the partition count (`x-partitioner`). " +
			"A command produced on another partition is forwarded to the right one, never applied there.\n" +
			"- **Value**: Avro in the Confluent wire format: magic byte 0, the 4-byte big-endian schema id, Avro binary. " +
			"Subjects follow TopicRecordNameStrategy (`<topic>-<namespace.Record>`); the schemas are registered at start, " +
			"so a producer uses the latest registered version and never auto-registers.\n" +
			"- **Who may use a topic**: `x-principals` on each channel, and one operation per principal and right " +
			"(send = WRITE, receive = READ, from its ACLs). External producers are `User:mallbots-external`.\n" +
			"- **Headers**: W3C trace context (`traceparent`, `tracestate`) on what MallBots writes; a command may carry " +
			"the reply and forwarding headers; a dead letter carries where and why it failed.\n\n" +
			"docs/topics.md has the same catalogue as tables and a producer's worked example.",
	}
}

func server() Server {
	return Server{
		Host:     "127.0.0.1:9092",
		Protocol: "kafka",
		Title:    "the embedded broker",
		Description: "The broker `mallbots run` embeds (--kafka-addr), with its schema registry (--registry-addr). " +
			"Another deployment has its own addresses (--brokers, --schema-registry); the topics, schemas and ACLs are the same.",
		Security: []Ref{{"#/components/securitySchemes/" + SecuritySchemeID}},
		Bindings: ServerBindings{Kafka: KafkaServer{
			SchemaRegistryURL: "http://127.0.0.1:8081", SchemaRegistryVendor: "confluent", BindingVersion: KafkaBindingVersion,
		}},
	}
}

func scram() SecurityScheme {
	return SecurityScheme{
		Type: "scramSha512",
		Description: "SASL/SCRAM-SHA-512; the user is the principal's name (User:mallbots-<role> is SASL user mallbots-<role>). " +
			"The embedded setup writes each principal's client properties under .mallbots/credentials/.",
	}
}

func channel(t topics.Topic) Channel {
	return Channel{
		Address:     t.Name,
		Title:       t.Name,
		Description: t.Doc + "; key: " + t.Key,
		Servers:     []Ref{{"#/servers/" + ServerID}},
		Messages:    map[string]Ref{},
		Bindings: ChannelBindings{Kafka: KafkaChannel{
			Topic: t.Name, Partitions: t.Partitions, TopicConfiguration: configuration(t), BindingVersion: KafkaBindingVersion,
		}},
		Partitioner: Partitioner{
			Name: PartitionerName,
			Description: "Kafka's default partitioner: murmur2 of the key bytes, masked positive (& 0x7fffffff), modulo the partition count. " +
				"The Java client's and franz-go's default; librdkafka: partitioner=murmur2_random.",
		},
	}
}

// configuration is the topic configs `mallbots topics apply` sets
// (admin.Configs), typed as the Kafka binding wants them.
func configuration(t topics.Topic) TopicConfiguration {
	cfg := admin.Configs(t)
	c := TopicConfiguration{CleanupPolicy: []string{cfg["cleanup.policy"]}}
	c.RetentionMs = number(cfg, "retention.ms")
	c.RetentionBytes = number(cfg, "retention.bytes")
	return c
}

func number(cfg map[string]string, key string) *int64 {
	s, ok := cfg[key]
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("topics/admin.Configs: %s=%q is not a number", key, s))
	}
	return &n
}

// principalsOf lists who may write and read a topic, from each
// principal's ACLs as Kafka's authorizer reads them.
func principalsOf(topic string) Principals {
	ps := Principals{Send: []string{}, Receive: []string{}}
	for _, p := range topics.Principals() {
		if p.Allows(topics.ResourceTopic, topic, topics.OpWrite) {
			ps.Send = append(ps.Send, p.Kafka())
		}
		if p.Allows(topics.ResourceTopic, topic, topics.OpRead) {
			ps.Receive = append(ps.Receive, p.Kafka())
		}
	}
	slices.Sort(ps.Send)
	slices.Sort(ps.Receive)
	return ps
}

// addOperations adds one operation per principal and right on the topic,
// with every message of its channel.
func (d *Document) addOperations(topic string, messageIDs []string) {
	ch := d.Channels[topic]
	for _, p := range topics.Principals() {
		for _, action := range []string{Send, Receive} {
			allowed := ch.Principals.Send
			verb, prep := "sends", "to"
			if action == Receive {
				allowed, verb, prep = ch.Principals.Receive, "receives", "from"
			}
			if !slices.Contains(allowed, p.Kafka()) {
				continue
			}
			op := Operation{
				Action:    action,
				Channel:   Ref{"#/channels/" + topic},
				Title:     p.Kafka() + " " + verb + " " + prep + " " + topic,
				Summary:   p.Role,
				Tags:      []Tag{{Name: p.Kafka()}},
				Principal: p.Kafka(),
			}
			for _, id := range messageIDs {
				op.Messages = append(op.Messages, Ref{"#/channels/" + topic + "/messages/" + id})
			}
			d.Operations[OperationID(p, action, topic)] = op
		}
	}
}

// OperationID is the id of the operation that allows p to act on topic:
// "<role>.<action>.<topic>" ("external.send.mallbots.stores.commands").
func OperationID(p topics.Principal, action, topic string) string {
	return p.Name[len(topics.PrincipalPrefix):] + "." + action + "." + topic
}

// MessageID is the id in components.messages of the message id on topic:
// "<topic>.<message id>". A record type on two topics is two messages
// (mallbots.core.CommandResult on the results, keyed by command id, and
// on the saga's replies, keyed by order id), because the key is the
// message's binding; both have the one payload schema of the type.
func MessageID(topic, id string) string { return topic + "." + id }

// addMessages adds the messages a topic carries to the components, and
// returns their ids in its channel: the Avro full name of each record type,
// or the dead-letter or registry message of the two topics that carry no
// Avro.
func (d *Document) addMessages(t topics.Topic, byName map[string]schemas.Type) ([]string, error) {
	switch t.Name {
	case topics.DeadLetter.Name:
		d.addDeadLetter(t)
		return []string{DeadLetterMessageID}, nil
	case topics.Schemas.Name:
		d.addRegistry(t)
		return []string{RegistryMessageID}, nil
	}
	headers := RecordHeadersID
	if _, ok := topics.CommandTopic(firstOr(t.Values)); ok {
		headers = CommandHeadersID
	}
	ids := make([]string, 0, len(t.Values))
	for _, name := range t.Values {
		typ, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("topic %s carries %s, which has no .avsc in the contract", t.Name, name)
		}
		avsc, err := compact(typ.Versions[typ.Latest()-1])
		if err != nil {
			return nil, fmt.Errorf("schema of %s v%d: %w", name, typ.Latest(), err)
		}
		var head struct{ Doc string }
		_ = json.Unmarshal(avsc, &head) // compact has parsed it
		d.Components.Schemas[name] = Schema{SchemaFormat: AvroSchemaFormat, Schema: avsc}
		d.Components.Messages[MessageID(t.Name, name)] = Message{
			Name:    name,
			Title:   name,
			Summary: head.Doc,
			Description: fmt.Sprintf("Avro record %s, schema v%d (the latest, which MallBots writes; older versions "+
				"in the log are resolved by their schema id). Registered under the subject <topic>-%s.", name, typ.Latest(), name),
			ContentType: AvroContentType,
			Headers:     &Ref{"#/components/schemas/" + headers},
			Payload:     Ref{"#/components/schemas/" + name},
			Bindings:    MessageBindings{Kafka: avroBinding(t.Key)},
		}
		ids = append(ids, name)
	}
	return ids, nil
}

func firstOr(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

func avroBinding(key string) KafkaMessage {
	return KafkaMessage{
		Key:                     Schema{Type: "string", Description: key},
		SchemaIDLocation:        "payload",
		SchemaIDPayloadEncoding: "confluent",
		SchemaLookupStrategy:    "TopicRecordNameStrategy",
		BindingVersion:          KafkaBindingVersion,
	}
}

func (d *Document) addDeadLetter(t topics.Topic) {
	d.Components.Schemas[DeadLetterMessageID] = Schema{
		Type: "string", Format: "binary",
		Description: "the failed record's value, byte for byte (whatever its producer wrote)",
	}
	d.Components.Messages[MessageID(t.Name, DeadLetterMessageID)] = Message{
		Name:        DeadLetterMessageID,
		Title:       "a record that could not be handled",
		Description: "A copy of a record a group or projector could not handle (not Avro, unknown schema, wrong type, no key, key and aggregateId differ, refused by a projection), with why and where in headers. The partition it came from carries on.",
		ContentType: "application/octet-stream",
		Headers:     &Ref{"#/components/schemas/" + DeadLetterHeadersID},
		Payload:     Ref{"#/components/schemas/" + DeadLetterMessageID},
		Bindings:    MessageBindings{Kafka: KafkaMessage{Key: Schema{Type: "string", Description: t.Key}, BindingVersion: KafkaBindingVersion}},
	}
}

func (d *Document) addRegistry(t topics.Topic) {
	d.Components.Schemas[RegistryMessageID] = Schema{
		Type: "object", Description: "a schema registry record (JSON), as the registry writes it; only the registry reads it",
	}
	d.Components.Messages[MessageID(t.Name, RegistryMessageID)] = Message{
		Name:        RegistryMessageID,
		Title:       "a schema registry record",
		Description: "The schema registry's own log, keyed and valued in JSON: producers and consumers reach schemas through the registry's HTTP API, never this topic.",
		ContentType: "application/json",
		Payload:     Ref{"#/components/schemas/" + RegistryMessageID},
		Bindings:    MessageBindings{Kafka: KafkaMessage{Key: Schema{Type: "string", Description: t.Key}, BindingVersion: KafkaBindingVersion}},
	}
}

func compact(avsc string) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(avsc)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
