package schemas_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

var corruptAt = serde.Position{Topic: "mallbots.stores.events", Partition: 3, Offset: 1042}

// validRecords encodes a populated value of every contract type, with
// optional fields set and unset.
func validRecords(t testing.TB, sd *serde.Serde) [][]byte {
	t.Helper()
	var out [][]byte
	for _, typ := range contractTypes(t) {
		for _, nilPointers := range []bool{false, true} {
			b, err := sd.Encode(topicOf(typ.Name), populated(t, typ, nilPointers))
			if err != nil {
				t.Fatalf("Encode %s: %v", typ.Name, err)
			}
			out = append(out, b)
		}
	}
	return out
}

// seed adds the decode fuzzers' corpus to f: every type's latest version,
// with optional fields set and unset; every committed fixture under the id
// of the version it was written with (records of older versions, which
// validRecords cannot write; every older version has one, the latest may
// not be captured yet); and the framing's edge cases: nothing, a bare
// header, an id no one registered.
func seed(f *testing.F, sd *serde.Serde, client *sr.Client) {
	f.Helper()
	for _, b := range validRecords(f, sd) {
		f.Add(b)
	}
	for _, typ := range contractTypes(f) {
		for version := 1; version <= typ.Latest(); version++ {
			body, err := os.ReadFile(fixturePath(typ.Name, version))
			if errors.Is(err, fs.ErrNotExist) && version == typ.Latest() {
				continue
			}
			if err != nil {
				f.Fatalf("%s v%d has no fixture: %v", typ.Name, version, err)
			}
			registered, err := client.SchemaByVersion(context.Background(), serde.Subject(topicOf(typ.Name), typ.Name), version)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(frame(registered.ID, body))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 1})
	f.Add(frame(999, []byte{2, 'x'}))
}

func idOf(b []byte) int { return int(binary.BigEndian.Uint32(b[1:5])) }

// Corrupt, truncated or foreign bytes are a *DecodeError naming where the
// record was, never a panic and never a value.
func TestDecodeRejectsCorruptInput(t *testing.T) {
	ctx := context.Background()
	sd, client := testkit.Serde(t)
	created, err := sd.Encode(topics.Stores.Events.Name, populated(t, schemaType(t, "mallbots.stores.StoreCreated"), false))
	if err != nil {
		t.Fatal(err)
	}
	register := func(subject, schema string, typ sr.SchemaType) int {
		t.Helper()
		ss, err := client.CreateSchema(ctx, subject, sr.Schema{Schema: schema, Type: typ})
		if err != nil {
			t.Fatalf("register %s: %v", subject, err)
		}
		return ss.ID
	}
	stringID := register("foreign-value", `"string"`, sr.TypeAvro)
	alienID := register("foreign-elsewhere.Alien", `{"type":"record","name":"Alien","namespace":"elsewhere","fields":[{"name":"id","type":"string"}]}`, sr.TypeAvro)
	jsonID := register("foreign-json", `{"type":"object"}`, sr.TypeJSON)
	with := func(b []byte, i int, v byte) []byte {
		b = append([]byte(nil), b...)
		b[i] = v
		return b
	}

	cases := []struct {
		name  string
		input []byte
		is    error // when set, errors.Is must hold
	}{
		{name: "empty", input: nil},
		{name: "1 byte", input: []byte{0}},
		{name: "2 bytes", input: []byte{0, 0}},
		{name: "3 bytes", input: []byte{0, 0, 0}},
		{name: "4 bytes", input: []byte{0, 0, 0, 1}},
		{name: "header without a body", input: created[:5]},
		{name: "magic byte 1", input: with(created, 0, 1)},
		{name: "magic byte 0xff", input: with(created, 0, 0xff)},
		{name: "unknown schema id", input: frame(999_999, created[5:]), is: serde.ErrUnknownSchema},
		{name: "schema id 0", input: frame(0, created[5:]), is: serde.ErrUnknownSchema},
		{name: "schema id 2^32-1", input: frame(1<<32-1, created[5:]), is: serde.ErrUnknownSchema},
		{name: "trailing byte", input: append(append([]byte(nil), created...), 0)},
		{name: "trailing record", input: append(append([]byte(nil), created...), created[5:]...)},
		{name: "negative string length", input: frame(idOf(created), binary.AppendVarint(nil, -3))},
		{name: "string length 2^40", input: frame(idOf(created), binary.AppendVarint(nil, 1<<40))},
		{name: "a non-record Avro schema", input: frame(stringID, binary.AppendVarint(nil, 0))},
		{name: "a record MallBots does not know", input: frame(alienID, append(binary.AppendVarint(nil, 1), 'x'))},
		{name: "a JSON schema", input: frame(jsonID, []byte(`{}`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := sd.Decode(ctx, corruptAt, tc.input)
			requireDecodeError(t, err, corruptAt)
			if v != nil {
				t.Fatalf("Decode returned a value %#v with the error", v)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}

	t.Run("every strict prefix of every valid record", func(t *testing.T) {
		for _, valid := range validRecords(t, sd) {
			name, _, _ := sd.Writer(ctx, valid)
			for n := range len(valid) {
				v, err := sd.Decode(ctx, corruptAt, valid[:n])
				if err == nil {
					t.Fatalf("%s cut to %d of %d bytes decoded as %#v", name, n, len(valid), v)
				}
				requireDecodeError(t, err, corruptAt)
			}
		}
	})

	t.Run("an optional field's union index out of range", func(t *testing.T) {
		create := populated(t, schemaType(t, "mallbots.stores.CreateStore"), false).(*stores.CreateStore)
		create.CommandID, create.AggregateID, create.CorrelationID, create.CausationID = "", "", "", ""
		b, err := sd.Encode(topics.Stores.Commands.Name, create)
		if err != nil {
			t.Fatal(err)
		}
		// Four empty strings (one zero byte each), then the union index.
		const unionAt = 5 + 4
		if b[unionAt] != 2 { // zigzag of index 1, "long"
			t.Fatalf("byte %d is %#x, want the union index 1 (0x02); the layout changed", unionAt, b[unionAt])
		}
		_, err = sd.Decode(ctx, corruptAt, with(b, unionAt, 10))
		requireDecodeError(t, err, corruptAt)
	})
}

// A block count no record could have is refused before anything is sized by
// it: decoding returns an error at once instead of allocating gigabytes.
func TestDecodeRefusesHugeCountsWithoutAllocating(t *testing.T) {
	ctx := context.Background()
	sd, _ := testkit.Serde(t)
	snapshot := populated(t, schemaType(t, "mallbots.stores.StoreSnapshot"), false)
	valid, err := sd.Encode(topics.Stores.Table.Name, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	// Precondition, checked first so that a regression fails here with a
	// message instead of the process dying of an out-of-memory error below.
	if goavro.MaxBlockCount > 1<<24 || goavro.MaxBlockSize > 1<<28 {
		t.Fatalf("goavro.MaxBlockCount = %d, MaxBlockSize = %d: a corrupt count would size gigabytes (package schemas sets the limits in init)", goavro.MaxBlockCount, goavro.MaxBlockSize)
	}

	// StoreSnapshot: aggregateId string, version, lastOffset, updatedAt longs,
	// then the block count of recent.
	head := binary.AppendVarint(nil, 2)
	head = append(head, "s1"...)
	head = binary.AppendVarint(head, 7)
	head = binary.AppendVarint(head, -1)
	head = binary.AppendVarint(head, 1_714_000_000_123)
	// An AppliedCommand up to the block count of its events.
	item := binary.AppendVarint(nil, 2)
	item = append(item, "c1"...)
	item = binary.AppendVarint(item, 0)
	item = binary.AppendVarint(item, 1)
	item = binary.AppendVarint(item, 1_714_000_000_123)

	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return frame(idOf(valid), b)
	}
	v := binary.AppendVarint
	cases := map[string][]byte{
		"recent count 2^31":                    cat(head, v(nil, 1<<31)),
		"recent count 2^62":                    cat(head, v(nil, 1<<62)),
		"recent count -2^31 with a block size": cat(head, v(nil, -(1<<31)), v(nil, 1)),
		"recent count min int64":               cat(head, v(nil, -1<<63)),
		"events count 2^31":                    cat(head, v(nil, 1), item, v(nil, 1<<31)),
		"an event of 2^40 bytes":               cat(head, v(nil, 1), item, v(nil, 1), v(nil, 1<<40)),
		"an event of 2^30 bytes":               cat(head, v(nil, 1), item, v(nil, 1), v(nil, 1<<30)),
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := sd.Decode(ctx, corruptAt, input)
			runtime.ReadMemStats(&after)
			requireDecodeError(t, err, corruptAt)
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 32<<20 {
				t.Fatalf("decoding %d corrupt bytes allocated %d MiB", len(input), allocated>>20)
			}
		})
	}
}

// With the registry unreachable, an unknown schema id is an error (not
// ErrUnknownSchema: the id may well exist) at the record's position.
func TestDecodeWithTheRegistryDown(t *testing.T) {
	ctx := context.Background()
	reg := srfake.New()
	client, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	sd, err := serde.New(ctx, client, contractTypes(t), topics.All())
	if err != nil {
		t.Fatal(err)
	}
	valid := validRecords(t, sd)[0]
	reg.Close()

	if _, err := sd.Decode(ctx, corruptAt, valid); err != nil {
		t.Fatalf("a schema registered at start needs no registry: %v", err)
	}
	_, err = sd.Decode(ctx, corruptAt, frame(4242, valid[5:]))
	requireDecodeError(t, err, corruptAt)
	if errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatalf("an unreachable registry is not proof the id is unknown: %v", err)
	}
}

// FuzzDecode feeds arbitrary bytes to Decode: it returns either a value that
// survives a further round trip, or a *DecodeError at the given position,
// and it never needs its own recover to get there.
//
//	go test -run='^$' -fuzz=FuzzDecode -fuzztime=60s ./schemas/
func FuzzDecode(f *testing.F) {
	ctx := context.Background()
	sd, client := testkit.Serde(f)
	seed(f, sd, client)

	f.Fuzz(func(t *testing.T, b []byte) {
		input := append([]byte(nil), b...)
		v, err := sd.Decode(ctx, corruptAt, input)
		if err != nil {
			de := requireDecodeError(t, err, corruptAt)
			if v != nil {
				t.Fatalf("Decode returned a value %#v with the error", v)
			}
			if strings.HasPrefix(de.Err.Error(), "corrupt record:") {
				t.Fatalf("Decode recovered from a panic: %v", err)
			}
			return
		}
		typ, ok := sd.TypeOf(v)
		if !ok {
			t.Fatalf("Decode returned %T, which is no contract type", v)
		}
		again, err := sd.Encode(topicOf(typ.Name), v)
		if err != nil {
			t.Fatalf("a decoded %s does not encode: %v", typ.Name, err)
		}
		w, err := sd.Decode(ctx, corruptAt, again)
		if err != nil {
			t.Fatalf("a re-encoded %s does not decode: %v", typ.Name, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("%s changed on a second round trip\nfirst:  %+v\nsecond: %+v", typ.Name, v, w)
		}
	})
}

func schemaType(t testing.TB, name string) schemas.Type {
	t.Helper()
	for _, typ := range contractTypes(t) {
		if typ.Name == name {
			return typ
		}
	}
	t.Fatalf("contract has no %s", name)
	return schemas.Type{}
}
