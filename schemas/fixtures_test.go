package schemas_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
)

var update = flag.Bool("update", false, "write the missing fixtures of the latest versions under testdata/records (existing ones are never rewritten)")

// fixturePath is the Avro body (no Confluent header) of a record written with
// one version of a type.
func fixturePath(name string, version int) string {
	return filepath.Join("testdata", "records", name+".v"+strconv.Itoa(version)+".avro")
}

// A record written with any published version stays readable: its fixture
// decodes under the id its subject registered for that version, and one
// written with the latest version re-encodes to the very same bytes (the
// wire format of a published version never changes in place). Every version
// older than the latest must have a fixture; the latest gets one with
//
//	go test ./schemas -run TestPublishedVersionsStayReadable -update
func TestPublishedVersionsStayReadable(t *testing.T) {
	ctx := context.Background()
	sd, client := testkit.Serde(t)
	for _, typ := range contractTypes(t) {
		topic := topicOf(typ.Name)
		for version := 1; version <= typ.Latest(); version++ {
			path := fixturePath(typ.Name, version)
			body, err := os.ReadFile(path)
			switch {
			case errors.Is(err, fs.ErrNotExist) && version == typ.Latest() && *update:
				body = writeFixture(t, sd, topic, typ, path)
			case errors.Is(err, fs.ErrNotExist) && version == typ.Latest():
				// Not yet captured: a type still being written may change.
				t.Logf("%s v%d has no fixture yet; write it with -update when it is published", typ.Name, version)
				continue
			case err != nil:
				// An older version must have one: superseded, it can only
				// be read, and this is the proof that it still can.
				t.Errorf("%s v%d has no fixture: %v", typ.Name, version, err)
				continue
			}

			registered, err := client.SchemaByVersion(ctx, serde.Subject(topic, typ.Name), version)
			if err != nil {
				t.Fatalf("%s v%d is not registered on %s: %v", typ.Name, version, topic, err)
			}
			b := frame(registered.ID, body)
			if name, v, err := sd.Writer(ctx, b); err != nil || name != typ.Name || v != version {
				t.Errorf("%s: Writer = %q v%d, %v; want %s v%d", path, name, v, err, typ.Name, version)
			}
			v, err := sd.Decode(ctx, serde.Position{Topic: topic}, b)
			if err != nil {
				t.Errorf("%s no longer decodes: %v", path, err)
				continue
			}
			if version != typ.Latest() {
				continue
			}
			again, err := sd.Encode(topic, v)
			if err != nil {
				t.Fatalf("%s: re-encode: %v", path, err)
			}
			// Avro writes a map's entries in Go's random map order, so bytes
			// are compared only for records without maps; with maps, the
			// length and the value read back must agree.
			back, err := sd.Decode(ctx, serde.Position{Topic: topic}, again)
			if err != nil || len(again) != len(b) || !reflect.DeepEqual(back, v) || (!strings.Contains(typ.Versions[version-1], `"map"`) && !bytes.Equal(again, b)) {
				t.Errorf("%s decodes and re-encodes differently: the wire format of a published version changed\n was: %x\n now: %x", path, b, again)
			}
		}
	}
}

func writeFixture(t *testing.T, sd *serde.Serde, topic string, typ schemas.Type, path string) []byte {
	t.Helper()
	b, err := sd.Encode(topic, populated(t, typ, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[5:], 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
	return b[5:]
}
