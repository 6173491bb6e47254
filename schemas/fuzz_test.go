package schemas_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// FuzzDecode's corpus starts from a record of every type every topic of the
// catalogue carries: the commands, events and snapshots of every aggregate,
// the results, the saga's and the notifications' records. A type a topic
// carries but validRecords leaves out would be fuzzed only by luck.
func TestTheDecodeFuzzCorpusHasEveryRecordEveryTopicCarries(t *testing.T) {
	ctx := context.Background()
	sd, _ := testkit.Serde(t)
	seeded := map[string]bool{}
	for _, b := range validRecords(t, sd) {
		name, _, err := sd.Writer(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		seeded[name] = true
	}
	kinds := map[string]int{}
	for _, topic := range topics.All() {
		for _, name := range topic.Values {
			if !seeded[name] {
				t.Errorf("%s carries %s, which FuzzDecode's corpus has no record of", topic.Name, name)
			}
			v := schemaType(t, name).New()
			switch v.(type) {
			case schemas.Command:
				kinds["command"]++
			case schemas.Event:
				kinds["event"]++
			case *schemas.CommandResult:
				kinds["result"]++
			}
			if snapshotVersionField(v) {
				kinds["snapshot"]++
			}
		}
	}
	for _, a := range topics.EngineAggregates() {
		if len(a.Commands.Values) == 0 || len(a.Events.Values) == 0 || len(a.Table.Values) == 0 {
			t.Errorf("aggregate %s: commands %v, events %v, table %v; want records of each", a.Type, a.Commands.Values, a.Events.Values, a.Table.Values)
		}
	}
	for _, kind := range []string{"command", "event", "result", "snapshot"} {
		if kinds[kind] == 0 {
			t.Errorf("the catalogue carries no %s record: the check above proves nothing about them", kind)
		}
	}
}

// snapshotVersionField says whether v is a *schemas.Snapshot[S] of some S.
func snapshotVersionField(v any) bool {
	rv := reflect.Indirect(reflect.ValueOf(v))
	return rv.Kind() == reflect.Struct && rv.FieldByName("State").IsValid() && rv.FieldByName("Recent").IsValid()
}

// FuzzDecodedRecord takes arbitrary bytes through what the consumers of a
// record do after Decode. Writer, which the projections call on the same
// bytes, never panics (Decode recovers from a panic; Writer does not), and
// on bytes Decode accepts it names the decoded type and a version no later
// than the latest. (It may name the type of bytes whose body is corrupt: it
// reads the header and the schema only.) A decoded record
// maps to a goavro native record and back to the same value (ToNative,
// FromNative), and a command's or event's payload maps to JSON
// (PayloadNative, what the event projection and the history store).
//
//	go test -run='^$' -fuzz='^FuzzDecodedRecord$' -fuzztime=60s -parallel 1 ./schemas/
func FuzzDecodedRecord(f *testing.F) {
	ctx := context.Background()
	sd, client := testkit.Serde(f)
	seed(f, sd, client)

	f.Fuzz(func(t *testing.T, b []byte) {
		v, decodeErr := sd.Decode(ctx, corruptAt, b)
		name, version, writerErr := sd.Writer(ctx, b)
		if decodeErr != nil {
			return
		}
		typ, ok := sd.TypeOf(v)
		if !ok {
			t.Fatalf("Decode returned %T, which is no contract type", v)
		}
		if writerErr != nil || name != typ.Name || version < 0 || version > typ.Latest() {
			t.Fatalf("% x decodes as a %s, but Writer says %q v%d (%v)", b, typ.Name, name, version, writerErr)
		}

		native, err := schemas.ToNative(v)
		if err != nil {
			t.Fatalf("a decoded %s does not map to a native record: %v", typ.Name, err)
		}
		back := typ.New()
		if err := schemas.FromNative(native, back); err != nil {
			t.Fatalf("a decoded %s does not map back from its native record: %v", typ.Name, err)
		}
		if d := firstDifference(back, v); d != "" {
			t.Fatalf("a decoded %s changed through its native record: %s", typ.Name, d)
		}

		switch v.(type) {
		case schemas.Command, schemas.Event:
			payload, err := schemas.PayloadNative(v)
			if err != nil {
				t.Fatalf("a decoded %s has no payload: %v", typ.Name, err)
			}
			if _, err := json.Marshal(payload); err != nil {
				t.Fatalf("the payload of a decoded %s is not JSON: %v", typ.Name, err)
			}
		}
	})
}
