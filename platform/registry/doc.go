// Package registry is the embedded schema registry of MallBots: a
// Confluent-compatible REST API (franz-go's srfake handler) made durable by a
// compacted Kafka topic and strict by a real Avro compatibility check.
//
// It consumes a broker connection and the name of an existing compacted,
// single-partition topic (normally "_schemas"). At Open it reads that topic
// from the start to its high watermark and seeds every stored schema back
// into srfake under its original subject, version and id, so ids and
// versions never change across restarts. It produces one record per new
// schema version on that topic (see record.go for the format) and serves the
// REST API on an http.Handler (or on a loopback listener with Listen).
//
// Every registration is checked against every earlier version of its subject
// under BACKWARD_TRANSITIVE (the new schema must read data written with any
// of them) with hamba/avro's SchemaCompatibility; an incompatible schema is
// answered with HTTP 409 and a Confluent-style error body, and the
// compatibility endpoints answer truthfully. A registration is acknowledged
// only after the broker has acknowledged its record (acks=all).
//
// Some of the API is refused with HTTP 422 and error code 42205 (operation not
// permitted) because it would break durability or the fixed compatibility
// rule: deleting subjects or versions, setting a compatibility level other
// than BACKWARD_TRANSITIVE, setting a mode other than READWRITE, registering
// with an explicit id or version (IMPORT mode), writes under schema contexts
// (/contexts/{ctx}/...), and non-Avro schemas (HTTP 422, code 42201).
//
// A schema the Avro parser cannot parse is refused with HTTP 422 and code
// 42201 and the parser's reason, even when the parser panics on it (that
// refusal is logged at ERROR: it is a bug in the parser). A handler that
// panics all the same is answered with HTTP 500 and an error body, and the
// panic is logged at ERROR with its stack.
//
// Only one Registry may write to a topic at a time: ids are allocated from the
// state this process has read, not by the broker.
package registry
