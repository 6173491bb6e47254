package serde_test

import (
	"encoding/binary"
	"testing"

	"github.com/mallbots/mallbots/schemas/serde"
)

// FuzzSchemaID reads the Confluent header of arbitrary bytes: at least five
// bytes with magic byte 0 give the big-endian id of bytes 1..4; anything
// else is an error, never a panic or a guess.
//
//	go test -run='^$' -fuzz=FuzzSchemaID -fuzztime=60s ./schemas/serde/
func FuzzSchemaID(f *testing.F) {
	for _, seed := range [][]byte{nil, {0}, {0, 0, 0, 0}, {0, 0, 0, 0, 1}, {0, 0, 0, 0, 1, 2, 'x'}, {1, 0, 0, 0, 1}, {0, 0xff, 0xff, 0xff, 0xff}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := serde.SchemaID(b)
		framed := len(b) >= 5 && b[0] == 0
		switch {
		case framed && err != nil:
			t.Fatalf("% x has a Confluent header but is refused: %v", b, err)
		case !framed && err == nil:
			t.Fatalf("% x has no Confluent header but reads as id %d", b, id)
		case framed && (id < 0 || uint32(id) != binary.BigEndian.Uint32(b[1:5])):
			t.Fatalf("% x reads as id %d", b, id)
		}
	})
}
