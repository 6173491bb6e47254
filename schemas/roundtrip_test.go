package schemas_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
)

// Every record type of the contract survives Encode → Decode unchanged, on
// every topic that carries it, with optional fields set and unset, in the
// Confluent wire format under the id registered for its subject.
func TestEveryContractTypeRoundTrips(t *testing.T) {
	ctx := context.Background()
	sd, client := testkit.Serde(t)
	carried := carriers()
	for _, typ := range contractTypes(t) {
		t.Run(typ.Name, func(t *testing.T) {
			if len(carried[typ.Name]) == 0 {
				t.Fatalf("no topic of the catalogue carries %s", typ.Name)
			}
			for _, topic := range carried[typ.Name] {
				for _, nilPointers := range []bool{false, true} {
					want := populated(t, typ, nilPointers)
					if got, ok := sd.TypeOf(want); !ok || got.Name != typ.Name {
						t.Fatalf("TypeOf(%T) = %v, %v; want %s", want, got, ok, typ.Name)
					}
					b, err := sd.Encode(topic, want)
					if err != nil {
						t.Fatalf("Encode on %s: %v", topic, err)
					}

					// Wire format: magic byte 0, the big-endian id registered
					// for the latest version under <topic>-<full name>, Avro.
					subject := serde.Subject(topic, typ.Name)
					registered, err := client.SchemaByVersion(ctx, subject, typ.Latest())
					if err != nil {
						t.Fatalf("subject %s v%d is not registered: %v", subject, typ.Latest(), err)
					}
					if b[0] != 0 {
						t.Fatalf("magic byte %#x, want 0", b[0])
					}
					if id := int(binary.BigEndian.Uint32(b[1:5])); id != registered.ID {
						t.Fatalf("bytes 1-4 carry schema id %d, want %d (%s v%d)", id, registered.ID, subject, typ.Latest())
					}
					if id, err := serde.SchemaID(b); err != nil || id != registered.ID {
						t.Fatalf("SchemaID = %d, %v; want %d", id, err, registered.ID)
					}
					name, version, err := sd.Writer(ctx, b)
					if err != nil || name != typ.Name || version != typ.Latest() {
						t.Fatalf("Writer = %q v%d, %v; want %q v%d", name, version, err, typ.Name, typ.Latest())
					}

					pos := serde.Position{Topic: topic, Partition: 5, Offset: 77}
					got, err := sd.Decode(ctx, pos, b)
					if err != nil {
						t.Fatalf("Decode: %v", err)
					}
					if d := firstDifference(got, want); d != "" {
						t.Fatalf("round trip on %s (nil pointers %v) changed %s", topic, nilPointers, d)
					}

					// The decoded value owns its memory: reusing the
					// consumer's buffer must not change it.
					for i := range b {
						b[i] = 0xAA
					}
					if d := firstDifference(got, want); d != "" {
						t.Fatalf("decoded value aliases the input bytes: after overwriting them %s", d)
					}
				}
			}
		})
	}
}

// The zero value of every type is encodable (empty strings, the zero time,
// nil slices and pointers), and decoding it gives a value that encodes to the
// very same bytes.
func TestZeroValuesEncodeStably(t *testing.T) {
	ctx := context.Background()
	sd, _ := testkit.Serde(t)
	for _, typ := range contractTypes(t) {
		topic := topicOf(typ.Name)
		first, err := sd.Encode(topic, typ.New())
		if err != nil {
			t.Fatalf("Encode zero %s: %v", typ.Name, err)
		}
		v, err := sd.Decode(ctx, serde.Position{Topic: topic}, first)
		if err != nil {
			t.Fatalf("Decode zero %s: %v", typ.Name, err)
		}
		second, err := sd.Encode(topic, v)
		if err != nil {
			t.Fatalf("re-Encode zero %s: %v", typ.Name, err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("zero %s: %x re-encodes as %x", typ.Name, first, second)
		}
	}
}

// Encode refuses a type on a topic that does not carry it, and a Go type
// that is not part of the contract.
func TestEncodeRefusesWhatTheCatalogueDoesNotAllow(t *testing.T) {
	sd, _ := testkit.Serde(t)
	types := contractTypes(t)
	carried := carriers()
	var someType schemas.Type
	var otherTopic string
	for _, typ := range types {
		for topic := range topicsByName() {
			if !slices.Contains(carried[typ.Name], topic) {
				someType, otherTopic = typ, topic
			}
		}
	}
	if otherTopic == "" {
		t.Fatal("found no topic that does not carry some type")
	}
	if _, err := sd.Encode(otherTopic, someType.New()); err == nil {
		t.Fatalf("Encode %s on %s, which does not carry it: no error", someType.Name, otherTopic)
	}
	type stranger struct {
		ID string `avro:"id"`
	}
	if _, err := sd.Encode(topicOf(someType.Name), &stranger{ID: "x"}); err == nil {
		t.Fatal("Encode of a type outside the contract: no error")
	}
}

func topicsByName() map[string]bool {
	out := map[string]bool{}
	for _, ts := range carriers() {
		for _, t := range ts {
			out[t] = true
		}
	}
	return out
}
