package asyncapi_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/asyncapi"
)

// served is the document as GET /api/asyncapi.json and `mallbots topics
// asyncapi` give it, read back: the tests check what a client reads, not
// the Go value it was written from.
func served(t *testing.T) (asyncapi.Document, []byte) {
	t.Helper()
	b, err := asyncapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var d asyncapi.Document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the document is not JSON of its own shape: %v", err)
	}
	return d, b
}

func TestEveryCatalogueTopicIsAChannelWithItsPartitionsCleanupAndRetention(t *testing.T) {
	d, _ := served(t)
	if d.AsyncAPI != "3.0.0" {
		t.Errorf("asyncapi %q, want 3.0.0", d.AsyncAPI)
	}
	for _, topic := range topics.All() {
		ch, ok := d.Channels[topic.Name]
		if !ok {
			t.Errorf("topic %s has no channel", topic.Name)
			continue
		}
		k := ch.Bindings.Kafka
		if ch.Address != topic.Name || k.Topic != topic.Name {
			t.Errorf("channel %s: address %q, binding topic %q", topic.Name, ch.Address, k.Topic)
		}
		if k.Partitions != topic.Partitions {
			t.Errorf("channel %s: %d partitions, the catalogue has %d", topic.Name, k.Partitions, topic.Partitions)
		}
		cfg := k.TopicConfiguration
		if !slices.Equal(cfg.CleanupPolicy, []string{string(topic.Cleanup)}) {
			t.Errorf("channel %s: cleanup.policy %v, the catalogue has %s", topic.Name, cfg.CleanupPolicy, topic.Cleanup)
		}
		switch {
		case topic.Cleanup == topics.Compact:
			if cfg.RetentionMs != nil || cfg.RetentionBytes != nil {
				t.Errorf("channel %s is compacted but has a retention: %v ms, %v bytes", topic.Name, deref(cfg.RetentionMs), deref(cfg.RetentionBytes))
			}
		case topic.Retention == topics.Forever:
			if deref(cfg.RetentionMs) != "-1" || deref(cfg.RetentionBytes) != "-1" {
				t.Errorf("channel %s keeps records forever: want retention.ms and retention.bytes -1, got %s and %s", topic.Name, deref(cfg.RetentionMs), deref(cfg.RetentionBytes))
			}
		default:
			want := topic.Retention.Milliseconds()
			if cfg.RetentionMs == nil || *cfg.RetentionMs != want || cfg.RetentionBytes != nil {
				t.Errorf("channel %s: retention.ms %s, retention.bytes %s; the catalogue has %d ms and no byte limit", topic.Name, deref(cfg.RetentionMs), deref(cfg.RetentionBytes), want)
			}
		}
		if ch.Partitioner.Name != "murmur2" {
			t.Errorf("channel %s: x-partitioner %q, want murmur2 (topics.PartitionFor)", topic.Name, ch.Partitioner.Name)
		}
		if len(ch.Servers) != 1 || ch.Servers[0].Ref != "#/servers/"+asyncapi.ServerID {
			t.Errorf("channel %s: servers %v", topic.Name, ch.Servers)
		}
		for id := range ch.Messages {
			if key := d.Components.Messages[asyncapi.MessageID(topic.Name, id)].Bindings.Kafka.Key; key.Type != "string" || key.Description != topic.Key {
				t.Errorf("channel %s, message %s: key %+v, the catalogue's key is %q", topic.Name, id, key, topic.Key)
			}
		}
	}
	if len(d.Channels) != len(topics.All()) {
		t.Errorf("%d channels for %d catalogue topics", len(d.Channels), len(topics.All()))
	}
}

func deref(n *int64) string {
	if n == nil {
		return "none"
	}
	b, _ := json.Marshal(*n)
	return string(b)
}

func TestEveryAvroTypeOfATopicIsAMessageWithItsLatestSchema(t *testing.T) {
	d, _ := served(t)
	types, err := contract.Types()
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]string{}
	for _, typ := range types {
		latest[typ.Name] = typ.Versions[typ.Latest()-1]
	}
	for _, topic := range topics.All() {
		ch := d.Channels[topic.Name]
		for _, name := range topic.Values {
			id := asyncapi.MessageID(topic.Name, name)
			if ref := ch.Messages[name].Ref; ref != "#/components/messages/"+id {
				t.Errorf("channel %s: message %s is %q, want a reference to components.messages", topic.Name, name, ref)
				continue
			}
			m, ok := d.Components.Messages[id]
			if !ok {
				t.Errorf("channel %s: %s is not in components.messages", topic.Name, name)
				continue
			}
			if m.Name != name || m.ContentType != asyncapi.AvroContentType {
				t.Errorf("message %s: name %q, content type %q", name, m.Name, m.ContentType)
			}
			k := m.Bindings.Kafka
			if k.SchemaIDLocation != "payload" || k.SchemaIDPayloadEncoding != "confluent" || k.SchemaLookupStrategy != "TopicRecordNameStrategy" {
				t.Errorf("message %s: the wire format is the Confluent one under TopicRecordNameStrategy, the binding says %+v", name, k)
			}
			s, ok := d.Components.Schemas[strings.TrimPrefix(m.Payload.Ref, "#/components/schemas/")]
			if !ok || m.Payload.Ref != "#/components/schemas/"+name {
				t.Errorf("message %s: payload %q is not its schema in components.schemas", name, m.Payload.Ref)
				continue
			}
			if s.SchemaFormat != "application/vnd.apache.avro;version=1.9.0" {
				t.Errorf("schema %s: schemaFormat %q", name, s.SchemaFormat)
			}
			if !sameJSON(t, s.Schema, latest[name]) {
				t.Errorf("schema %s is not its latest .avsc", name)
			}
		}
		if len(topic.Values) > 0 && len(ch.Messages) != len(topic.Values) {
			t.Errorf("channel %s has %d messages, the catalogue %d value types", topic.Name, len(ch.Messages), len(topic.Values))
		}
	}
	if ids := keys(d.Channels[topics.DeadLetter.Name].Messages); !slices.Equal(ids, []string{asyncapi.DeadLetterMessageID}) {
		t.Errorf("the dead-letter channel carries %v, want its own message", ids)
	}
	if ids := keys(d.Channels[topics.Schemas.Name].Messages); !slices.Equal(ids, []string{asyncapi.RegistryMessageID}) {
		t.Errorf("the registry's channel carries %v, want its own message", ids)
	}
}

func sameJSON(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// rights is who may send to and receive from each topic, read from the
// ACLs themselves (topics.ACLs), not through Principal.Allows as the
// document is: READ or ALL on a resource that covers the topic is receive,
// WRITE or ALL is send.
func rights(topic string) (send, receive []string) {
	for _, acl := range topics.ACLs() {
		if !acl.Resource.Matches(topics.ResourceTopic, topic) {
			continue
		}
		switch acl.Operation {
		case topics.OpAll:
			send, receive = append(send, acl.Principal), append(receive, acl.Principal)
		case topics.OpWrite:
			send = append(send, acl.Principal)
		case topics.OpRead:
			receive = append(receive, acl.Principal)
		}
	}
	slices.Sort(send)
	slices.Sort(receive)
	return slices.Compact(send), slices.Compact(receive)
}

func TestThePrincipalsOfEveryChannelAreThoseItsACLsAllow(t *testing.T) {
	d, _ := served(t)
	type right struct{ principal, action, topic string }
	want := map[right]bool{}
	for _, topic := range topics.All() {
		send, receive := rights(topic.Name)
		ch := d.Channels[topic.Name]
		if !slices.Equal(ch.Principals.Send, send) {
			t.Errorf("channel %s: x-principals.send %v, the ACLs allow WRITE to %v", topic.Name, ch.Principals.Send, send)
		}
		if !slices.Equal(ch.Principals.Receive, receive) {
			t.Errorf("channel %s: x-principals.receive %v, the ACLs allow READ to %v", topic.Name, ch.Principals.Receive, receive)
		}
		for _, p := range send {
			want[right{p, asyncapi.Send, topic.Name}] = true
		}
		for _, p := range receive {
			want[right{p, asyncapi.Receive, topic.Name}] = true
		}
	}
	got := map[right]bool{}
	for id, op := range d.Operations {
		topic := strings.TrimPrefix(op.Channel.Ref, "#/channels/")
		r := right{op.Principal, op.Action, topic}
		got[r] = true
		if !want[r] {
			t.Errorf("operation %s lets %s %s on %s, which its ACLs do not allow", id, op.Principal, op.Action, topic)
		}
		var msgs []string
		for _, m := range op.Messages {
			msgs = append(msgs, strings.TrimPrefix(m.Ref, op.Channel.Ref+"/messages/"))
		}
		slices.Sort(msgs)
		if channel := keys(d.Channels[topic].Messages); !slices.Equal(msgs, channel) {
			t.Errorf("operation %s carries %v, its channel %v", id, msgs, channel)
		}
		if len(op.Tags) != 1 || op.Tags[0].Name != op.Principal {
			t.Errorf("operation %s: tags %v, want its principal %s", id, op.Tags, op.Principal)
		}
	}
	for r := range want {
		if !got[r] {
			t.Errorf("the ACLs let %s %s on %s, and no operation says so", r.principal, r.action, r.topic)
		}
	}
	// The external producers' contract, spelled out: the domain's command
	// topics and the results, nothing else.
	var external []string
	for _, op := range d.Operations {
		if op.Principal == "User:mallbots-external" {
			external = append(external, op.Action+" "+strings.TrimPrefix(op.Channel.Ref, "#/channels/"))
		}
	}
	slices.Sort(external)
	wantExternal := []string{"receive " + topics.Results.Name}
	for _, a := range topics.Aggregates() {
		wantExternal = append(wantExternal, "send "+a.Commands.Name)
	}
	slices.Sort(wantExternal)
	if !slices.Equal(external, wantExternal) {
		t.Errorf("User:mallbots-external may %v, want %v", external, wantExternal)
	}
}

func TestTheHeadersAreDeclaredWhereTheyAreWritten(t *testing.T) {
	d, _ := served(t)
	props := func(id string) []string { return keys(d.Components.Schemas[id].Properties) }
	wantCommand := []string{topics.HeaderForwardedFrom, topics.HeaderReplyKey, topics.HeaderReplyTo, "traceparent", "tracestate"}
	if got := props(asyncapi.CommandHeadersID); !slices.Equal(got, wantCommand) {
		t.Errorf("command headers %v, want %v", got, wantCommand)
	}
	if got := props(asyncapi.RecordHeadersID); !slices.Equal(got, []string{"traceparent", "tracestate"}) {
		t.Errorf("record headers %v, want the trace context", got)
	}
	var dlq []string
	for _, h := range topics.DeadLetterHeaders("", "", 0, 0, "") {
		dlq = append(dlq, h[0])
	}
	s := d.Components.Schemas[asyncapi.DeadLetterHeadersID]
	if !slices.Equal(s.Required, dlq) || !slices.Equal(props(asyncapi.DeadLetterHeadersID), sorted(dlq)) {
		t.Errorf("dead-letter headers %v (required %v), want %v, all required", props(asyncapi.DeadLetterHeadersID), s.Required, dlq)
	}
	for _, topic := range topics.All() {
		want := "#/components/schemas/" + asyncapi.RecordHeadersID
		switch {
		case topic.Name == topics.DeadLetter.Name:
			want = "#/components/schemas/" + asyncapi.DeadLetterHeadersID
		case topic.Name == topics.Schemas.Name:
			want = ""
		case isCommandTopic(topic.Name):
			want = "#/components/schemas/" + asyncapi.CommandHeadersID
		}
		for id := range d.Channels[topic.Name].Messages {
			got := ""
			if h := d.Components.Messages[asyncapi.MessageID(topic.Name, id)].Headers; h != nil {
				got = h.Ref
			}
			if got != want {
				t.Errorf("message %s on %s: headers %q, want %q", id, topic.Name, got, want)
			}
		}
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func isCommandTopic(name string) bool {
	for _, a := range topics.EngineAggregates() {
		if a.Commands.Name == name {
			return true
		}
	}
	return false
}

func TestTheServerAsksForSCRAMSHA512(t *testing.T) {
	d, _ := served(t)
	s, ok := d.Servers[asyncapi.ServerID]
	if !ok || s.Protocol != "kafka" || len(s.Security) != 1 {
		t.Fatalf("server %s: %+v", asyncapi.ServerID, s)
	}
	scheme := d.Components.SecuritySchemes[strings.TrimPrefix(s.Security[0].Ref, "#/components/securitySchemes/")]
	if scheme.Type != "scramSha512" {
		t.Errorf("the server's security scheme is %q, want scramSha512", scheme.Type)
	}
}

func TestTheDocumentIsTheSameBytesEveryTime(t *testing.T) {
	a, err := asyncapi.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := asyncapi.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("two generations of the document differ")
	}
	_, served := served(t)
	var v struct{ Info struct{ Version string } }
	if err := json.Unmarshal(served, &v); err != nil || !strings.HasPrefix(v.Info.Version, "0.0.0-") || len(v.Info.Version) != len("0.0.0-")+12 {
		t.Errorf("info.version %q, want 0.0.0-<12 hex digits of the content hash>", v.Info.Version)
	}
}

// Every $ref in the document points at something in it: a check that
// needs no Node (the parser test, which resolves them too, skips without
// it outside CI).
func TestEveryReferenceResolves(t *testing.T) {
	_, b := served(t)
	var root any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				n++
				if _, err := pointer(root, ref); err != "" {
					t.Errorf("$ref %s: %s", ref, err)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(root)
	if n == 0 {
		t.Fatal("the document has no $ref at all")
	}
}

// pointer resolves a local JSON reference ("#/a/b"); the document's keys
// hold no "/" or "~", so no unescaping is needed.
func pointer(root any, ref string) (any, string) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, "not a local reference"
	}
	v := root
	for _, part := range strings.Split(path, "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "steps into a non-object at " + part
		}
		if v, ok = m[part]; !ok {
			return nil, "no " + part
		}
	}
	return v, ""
}
