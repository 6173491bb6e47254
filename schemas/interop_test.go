package schemas_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
)

// The serde writes and reads the latest version of our own types with a
// direct struct codec (hamba/avro) for speed; every other Avro
// implementation must read what it writes, and it must read what they
// write. For every contract type, set and unset: goavro reads the serde's
// bytes back to the same value, and the serde reads goavro's encoding of the
// same value to the same value. (The bytes themselves may differ only in the
// order of a map's entries, which Avro leaves open.)
func TestDirectCodecWritesWhatGoavroWrites(t *testing.T) {
	ctx := context.Background()
	sd, _ := testkit.Serde(t)
	for _, typ := range contractTypes(t) {
		codec, err := goavro.NewCodec(typ.Versions[len(typ.Versions)-1])
		if err != nil {
			t.Fatalf("%s: goavro: %v", typ.Name, err)
		}
		for _, nilPointers := range []bool{false, true} {
			want := populated(t, typ, nilPointers)
			topic := topicOf(typ.Name)
			framed, err := sd.Encode(topic, want)
			if err != nil {
				t.Fatalf("%s: Encode: %v", typ.Name, err)
			}
			native, err := schemas.ToNative(want)
			if err != nil {
				t.Fatalf("%s: ToNative: %v", typ.Name, err)
			}
			goavroBytes, err := codec.BinaryFromNative(nil, native)
			if err != nil {
				t.Fatalf("%s: goavro encode: %v", typ.Name, err)
			}
			if len(framed)-5 != len(goavroBytes) {
				t.Errorf("%s (optional fields nil: %v): serde wrote %d bytes, goavro %d", typ.Name, nilPointers, len(framed)-5, len(goavroBytes))
			}
			back, rest, err := codec.NativeFromBinary(framed[5:])
			if err != nil || len(rest) != 0 {
				t.Fatalf("%s: goavro cannot read the serde's bytes: %v (%d bytes left)", typ.Name, err, len(rest))
			}
			got := typ.New()
			if err := schemas.FromNative(back.(map[string]any), got); err != nil {
				t.Fatalf("%s: FromNative: %v", typ.Name, err)
			}
			if d := firstDifference(got, want); d != "" {
				t.Errorf("%s: goavro read back a different value: %s", typ.Name, d)
			}
			fromGoavro, err := sd.Decode(ctx, serde.Position{Topic: topic}, append(bytes.Clone(framed[:5]), goavroBytes...))
			if err != nil {
				t.Fatalf("%s: the serde cannot read goavro's bytes: %v", typ.Name, err)
			}
			if d := firstDifference(fromGoavro, want); d != "" {
				t.Errorf("%s: the serde read goavro's bytes to a different value: %s", typ.Name, d)
			}
		}
	}
}
