// Package serde encodes and decodes MallBots records in the Confluent wire
// format against a schema registry: it registers the contract's schemas
// (TopicRecordNameStrategy), writes with the latest version, and reads any
// writer schema by id, upcasting older versions. It is apart from the
// contract (package schemas) so that the pure domain code, which uses the
// contract's types, does not depend on a registry client.
package serde

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

func init() {
	// goavro sizes an array by the block count it reads before checking the
	// bytes exist, so a corrupt count of 2^31 would allocate gigabytes and
	// kill the process. No record of ours has a million items in one array.
	goavro.MaxBlockCount = 1 << 20
	goavro.MaxBlockSize = 64 << 20
}

// direct is the codec of the latest version of each of our own types:
// hamba/avro reads and writes the Go structs by their avro tags (embedded
// metadata flattened, as the mapper does), without goavro's intermediate
// maps and the mapper's reflection, several times faster (docs/benchmarks.md)
// and with the same bytes: one block per array and map, counts without
// byte sizes, as goavro writes them and every Avro decoder reads them. Its
// limits are goavro's above. Older versions and schemas registered by
// others still go through goavro, the mapper and the upcasters.
var direct = avro.Config{
	TagKey:                 "avro",
	DisableBlockSizeHeader: true,
	BlockLength:            1 << 20,
	MaxByteSliceSize:       64 << 20,
	MaxSliceAllocSize:      1 << 20,
	UnionResolutionError:   true,
}.Freeze()

// readers of the direct codec, reused: a decoded string points into the
// reader's slab, which only moves forward, so reuse never changes it.
var directReaders = sync.Pool{New: func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(direct)) }}

// parseDirect parses a schema for the direct codec, in a cache of its own:
// hamba's default cache is keyed by record name, and the versions of one
// record share their name.
func parseDirect(text string) (avro.Schema, error) {
	return avro.ParseWithCache(text, "", &avro.SchemaCache{})
}

// ErrUnknownSchema is returned for a schema id the registry does not know.
var ErrUnknownSchema = errors.New("unknown schema id")

// Position locates a record on a topic.
type Position struct {
	Topic     string
	Partition int32
	Offset    int64
}

func (p Position) String() string { return fmt.Sprintf("%s/%d@%d", p.Topic, p.Partition, p.Offset) }

// DecodeError is a record that could not be decoded, with where it was.
type DecodeError struct {
	Position
	Err error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("decode %s: %v", e.Position, e.Err) }
func (e *DecodeError) Unwrap() error { return e.Err }

type writer struct {
	id     int
	schema avro.Schema // the direct codec's
	// size is the length of the last record written, the next buffer's
	// capacity: a snapshot with its window of recent commands is kilobytes,
	// and growing a small buffer to that size cost a fifth of its encoding.
	size *atomic.Int64
	// facts are what the hash chain needs of the schema (chain.go).
	facts schemaFacts
}

type reader struct {
	typ     *schemas.Type
	version int // 0: a schema registered by someone else; no upcaster applies
	codec   *goavro.Codec
	// direct is set for the latest version of the type: decoded straight
	// into the Go struct, no upcast needed.
	direct avro.Schema
	facts  schemaFacts
}

// Serde encodes Go values to Confluent-framed Avro and back. It registers
// every version of every type under its TopicRecordNameStrategy subject
// ("<topic>-<full name>") at construction, writes with the latest version,
// and reads any registered writer schema by id (fetching and caching ids it
// has not seen), upcasting older versions of our own types.
type Serde struct {
	client  *sr.Client
	byName  map[string]*schemas.Type
	byGo    map[reflect.Type]*schemas.Type
	writers map[string]map[string]writer // topic → type name → writer
	mu      sync.RWMutex
	readers map[int]*reader
}

// New registers the value types of every topic in ts with the registry.
// Every value name a topic lists must be among types.
func New(ctx context.Context, client *sr.Client, types []schemas.Type, ts []topics.Topic) (*Serde, error) {
	s := &Serde{
		client:  client,
		byName:  map[string]*schemas.Type{},
		byGo:    map[reflect.Type]*schemas.Type{},
		writers: map[string]map[string]writer{},
		readers: map[int]*reader{},
	}
	for i := range types {
		t := &types[i]
		s.byName[t.Name] = t
		s.byGo[t.GoType()] = t
	}
	for _, topic := range ts {
		for _, name := range topic.Values {
			t, ok := s.byName[name]
			if !ok {
				return nil, fmt.Errorf("topic %s carries %s, which has no schema", topic.Name, name)
			}
			if err := s.register(ctx, topic.Name, t); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// Subject is the TopicRecordNameStrategy subject of a record type on a topic.
func Subject(topic, fullName string) string { return topic + "-" + fullName }

func (s *Serde) register(ctx context.Context, topic string, t *schemas.Type) error {
	subject := Subject(topic, t.Name)
	for v, text := range t.Versions {
		codec, err := goavro.NewCodec(text)
		if err != nil {
			return fmt.Errorf("schema %s v%d: %w", t.Name, v+1, err)
		}
		ss, err := s.client.CreateSchema(ctx, subject, sr.Schema{Schema: text, Type: sr.TypeAvro})
		if err != nil {
			return fmt.Errorf("register %s v%d: %w", subject, v+1, err)
		}
		r := &reader{typ: t, version: v + 1, codec: codec, facts: factsOf(codec, text)}
		s.readers[ss.ID] = r
		if v+1 == t.Latest() {
			if r.direct, err = parseDirect(text); err != nil {
				return fmt.Errorf("schema %s v%d: %w", t.Name, v+1, err)
			}
			if s.writers[topic] == nil {
				s.writers[topic] = map[string]writer{}
			}
			s.writers[topic][t.Name] = writer{id: ss.ID, schema: r.direct, size: new(atomic.Int64), facts: r.facts}
		}
	}
	return nil
}

// TypeOf returns the Type of a Go value (or pointer to one).
func (s *Serde) TypeOf(v any) (*schemas.Type, bool) {
	t, ok := s.byGo[reflect.Indirect(reflect.ValueOf(v)).Type()]
	return t, ok
}

// Encode writes v in the Confluent wire format with the latest schema of
// its type registered for topic.
func (s *Serde) Encode(topic string, v any) ([]byte, error) {
	t, ok := s.TypeOf(v)
	if !ok {
		return nil, fmt.Errorf("encode %T: not a registered record type", v)
	}
	w, ok := s.writers[topic][t.Name]
	if !ok {
		return nil, fmt.Errorf("encode %s: topic %s does not carry it (see the topics catalogue)", t.Name, topic)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, fmt.Errorf("encode %s: a nil %T", t.Name, v)
	}
	out := avro.NewWriter(nil, int(max(w.size.Load()+w.size.Load()/8, 64)), avro.WithWriterConfig(direct))
	var header [5]byte
	binary.BigEndian.PutUint32(header[1:], uint32(w.id))
	_, _ = out.Write(header[:])
	out.WriteVal(w.schema, v)
	if out.Error != nil {
		return nil, fmt.Errorf("encode %s: %w", t.Name, out.Error)
	}
	b := out.Buffer()
	w.size.Store(int64(len(b)))
	return b, nil
}

// SchemaID reads the schema id of a Confluent-framed record.
func SchemaID(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, fmt.Errorf("%d bytes is too short for the Confluent wire format (magic byte, 4-byte schema id, Avro)", len(b))
	}
	if b[0] != 0 {
		return 0, fmt.Errorf("magic byte is %#x, want 0 (Confluent wire format)", b[0])
	}
	return int(binary.BigEndian.Uint32(b[1:5])), nil
}

// Decode reads a Confluent-framed record into a new value of its Go type
// (a pointer). Errors are *DecodeError carrying pos; Decode never panics.
func (s *Serde) Decode(ctx context.Context, pos Position, b []byte) (v any, err error) {
	if err := guarded(pos, func() (err error) { v, err = s.decode(ctx, b); return err }); err != nil {
		return nil, err
	}
	return v, nil
}

// guarded runs a decoding step, turning its error, or a panic of a
// decoder on a corrupt record, into a *DecodeError at pos.
func guarded(pos Position, step func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DecodeError{Position: pos, Err: fmt.Errorf("corrupt record: %v", r)}
		}
	}()
	if err := step(); err != nil {
		return &DecodeError{Position: pos, Err: err}
	}
	return nil
}

func (s *Serde) decode(ctx context.Context, b []byte) (any, error) {
	id, r, err := s.readerOf(ctx, b)
	if err != nil {
		return nil, err
	}
	if r.direct != nil {
		return r.decodeDirect(id, b[5:])
	}
	native, rest, err := r.codec.NativeFromBinary(b[5:])
	if err != nil {
		return nil, fmt.Errorf("%s (schema id %d): %w", r.typ.Name, id, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%s (schema id %d): %d trailing bytes after the record", r.typ.Name, id, len(rest))
	}
	rec, ok := native.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema id %d is not a record schema", id)
	}
	if r.version > 0 && r.version < r.typ.Latest() && r.typ.Upcast != nil {
		if rec, err = r.typ.Upcast(r.version, rec); err != nil {
			return nil, fmt.Errorf("upcast %s v%d: %w", r.typ.Name, r.version, err)
		}
	}
	out := r.typ.New()
	if err := schemas.FromNative(rec, out); err != nil {
		return nil, fmt.Errorf("%s (schema id %d): %w", r.typ.Name, id, err)
	}
	return out, nil
}

// decodeDirect reads the latest version of a type straight into its Go
// struct. A record that ends early or has bytes left over is an error.
func (r *reader) decodeDirect(id int, body []byte) (any, error) {
	out := r.typ.New()
	if err := r.read(id, body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// read decodes body, written with the latest version of r's type, into
// out: the type's Go struct, or a struct with some of its fields.
func (r *reader) read(id int, body []byte, out any) error {
	in := directReaders.Get().(*avro.Reader)
	defer directReaders.Put(in)
	in.Error = nil
	in.Reset(body)
	in.ReadVal(r.direct, out)
	if err := in.Error; err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s (schema id %d): the record ends early: %w", r.typ.Name, id, err)
		}
		return fmt.Errorf("%s (schema id %d): %w", r.typ.Name, id, err)
	}
	if in.Peek(); in.Error == nil {
		return fmt.Errorf("%s (schema id %d): trailing bytes after the record", r.typ.Name, id)
	}
	return nil
}

// DecodeInto reads a record into out, a pointer to a struct that declares
// only the fields its caller needs (such as a schemas.Head): the writer's
// fields that out leaves out are skipped, not decoded. The record must be a
// value type of pos.Topic. It reads only records written with the latest
// version of their type: for an older one it returns false and leaves out
// alone, and the caller decodes the record whole with Decode, which
// upcasts it.
func (s *Serde) DecodeInto(ctx context.Context, pos Position, b []byte, out any) (latest bool, err error) {
	err = guarded(pos, func() error {
		id, r, err := s.readerOf(ctx, b)
		if err != nil {
			return err
		}
		if _, ok := s.writers[pos.Topic][r.typ.Name]; !ok {
			return fmt.Errorf("%s (schema id %d) is not a value type of %s", r.typ.Name, id, pos.Topic)
		}
		if latest = r.direct != nil; latest {
			return r.read(id, b[5:], out)
		}
		return nil
	})
	return latest && err == nil, err
}

// readerOf returns the schema id of a Confluent-framed record and its
// reader.
func (s *Serde) readerOf(ctx context.Context, b []byte) (int, *reader, error) {
	id, err := SchemaID(b)
	if err != nil {
		return 0, nil, err
	}
	r, err := s.reader(ctx, id)
	return id, r, err
}

// reader returns the reader of a schema id, fetching schemas registered by
// other producers from the registry.
func (s *Serde) reader(ctx context.Context, id int) (*reader, error) {
	s.mu.RLock()
	r, ok := s.readers[id]
	s.mu.RUnlock()
	if ok {
		return r, nil
	}
	sch, err := s.client.SchemaByID(ctx, id)
	if err != nil {
		var re *sr.ResponseError
		if errors.As(err, &re) && re.StatusCode == 404 {
			return nil, fmt.Errorf("%w %d", ErrUnknownSchema, id)
		}
		return nil, fmt.Errorf("fetch schema id %d: %w", id, err)
	}
	if sch.Type != sr.TypeAvro {
		return nil, fmt.Errorf("schema id %d is %s, not Avro", id, sch.Type)
	}
	codec, err := goavro.NewCodec(sch.Schema)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	var head struct{ Name, Namespace string }
	_ = json.Unmarshal([]byte(sch.Schema), &head)
	full := head.Name
	if head.Namespace != "" {
		full = head.Namespace + "." + head.Name
	}
	t, ok := s.byName[full]
	if !ok {
		return nil, fmt.Errorf("schema id %d is record %q, which MallBots does not know", id, full)
	}
	r = &reader{typ: t, codec: codec, facts: factsOf(codec, sch.Schema)}
	for v, text := range t.Versions {
		if c, err := goavro.NewCodec(text); err == nil && c.CanonicalSchema() == codec.CanonicalSchema() {
			r.version = v + 1
		}
	}
	if r.version == t.Latest() {
		if r.direct, err = parseDirect(sch.Schema); err != nil {
			return nil, fmt.Errorf("schema id %d: %w", id, err)
		}
	}
	s.mu.Lock()
	s.readers[id] = r
	s.mu.Unlock()
	return r, nil
}

// Writer names the record type and schema version a Confluent-framed record
// was written with (version 0: a schema registered by another producer).
func (s *Serde) Writer(ctx context.Context, b []byte) (name string, version int, err error) {
	_, r, err := s.readerOf(ctx, b)
	if err != nil {
		return "", 0, err
	}
	return r.typ.Name, r.version, nil
}
