package registry

import (
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// The topic holds one record per schema version, never updated and never
// deleted. The layout is modelled on Confluent's own _schemas topic so that
// the records read naturally to anyone who knows that one:
//
//	key:   {"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}
//	value: {"subject":"orders-value","version":2,"id":7,"schemaType":"AVRO",
//	        "schema":"{...}","references":[...]}
//
// The key is unique per subject and version, so compaction (which keeps the
// last record of each key) never removes a schema; encoding/json writes
// struct fields in declaration order, so equal keys are equal bytes.

// keyTypeSchema marks a schema record. Records with any other keytype (a
// Confluent registry's CONFIG or NOOP records, say) are skipped on replay.
const keyTypeSchema = "SCHEMA"

type recordKey struct {
	KeyType string `json:"keytype"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
	Magic   int    `json:"magic"`
}

type recordValue struct {
	Subject    string               `json:"subject"`
	Version    int                  `json:"version"`
	ID         int                  `json:"id"`
	SchemaType sr.SchemaType        `json:"schemaType"`
	Schema     string               `json:"schema"`
	References []sr.SchemaReference `json:"references,omitempty"`
	Metadata   *sr.SchemaMetadata   `json:"metadata,omitempty"`
	RuleSet    *sr.SchemaRuleSet    `json:"ruleSet,omitempty"`
}

// version is one registered schema version: what a record stores.
type version struct {
	subject string
	version int
	id      int
	schema  sr.Schema
}

func (v version) String() string {
	return fmt.Sprintf("subject %q version %d (id %d)", v.subject, v.version, v.id)
}

// encodeRecord builds the record that persists v.
func encodeRecord(topic string, v version) (*kgo.Record, error) {
	key, err := json.Marshal(recordKey{KeyType: keyTypeSchema, Subject: v.subject, Version: v.version, Magic: 1})
	if err != nil {
		return nil, fmt.Errorf("encode record key of %s: %w", v, err)
	}
	value, err := json.Marshal(recordValue{
		Subject:    v.subject,
		Version:    v.version,
		ID:         v.id,
		SchemaType: v.schema.Type,
		Schema:     v.schema.Schema,
		References: v.schema.References,
		Metadata:   v.schema.SchemaMetadata,
		RuleSet:    v.schema.SchemaRuleSet,
	})
	if err != nil {
		return nil, fmt.Errorf("encode record value of %s: %w", v, err)
	}
	// Partition 0 with the manual partitioner: the topic has one partition,
	// and replay reads only that one.
	return &kgo.Record{Topic: topic, Partition: 0, Key: key, Value: value}, nil
}

// decodeRecord reads a record of the topic. ok is false for records that are
// not schema versions (other keytypes, tombstones); those are not errors.
func decodeRecord(rec *kgo.Record) (v version, ok bool, err error) {
	var key recordKey
	if err := json.Unmarshal(rec.Key, &key); err != nil {
		return version{}, false, fmt.Errorf("decode key of record %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	}
	if key.KeyType != keyTypeSchema || rec.Value == nil {
		return version{}, false, nil
	}
	var val recordValue
	if err := json.Unmarshal(rec.Value, &val); err != nil {
		return version{}, false, fmt.Errorf("decode value of record %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	}
	if val.Subject != key.Subject || val.Version != key.Version {
		return version{}, false, fmt.Errorf("record %s/%d@%d: key names subject %q version %d but value names subject %q version %d",
			rec.Topic, rec.Partition, rec.Offset, key.Subject, key.Version, val.Subject, val.Version)
	}
	return version{
		subject: val.Subject,
		version: val.Version,
		id:      val.ID,
		schema: sr.Schema{
			Schema:         val.Schema,
			Type:           val.SchemaType,
			References:     val.References,
			SchemaMetadata: val.Metadata,
			SchemaRuleSet:  val.RuleSet,
		},
	}, true, nil
}
