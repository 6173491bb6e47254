package schemas_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// A reader that needs a few of a record's fields declares only those: the
// rest are skipped, and what it reads equals the whole decode's.
func TestDecodeIntoReadsTheFieldsItsTargetDeclaresAndSkipsTheRest(t *testing.T) {
	sd, _ := testkit.Serde(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := "8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01"
	snap := &customers.CustomerSnapshot{AggregateID: id, Version: 17, LastOffset: 16, UpdatedAt: now, LastHash: "h17",
		State: customers.Customer{ID: id, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}}
	for i := range 16 {
		snap.Recent = append(snap.Recent, schemas.Applied{CommandID: fmt.Sprint(i), Offset: int64(i), Version: int64(i + 2),
			ProcessedAt: now, Events: [][]byte{[]byte("an event"), []byte("another")}, RejectionCode: "x"})
	}
	b, err := sd.Encode(topics.Customers.Table.Name, snap)
	if err != nil {
		t.Fatal(err)
	}
	pos := serde.Position{Topic: topics.Customers.Table.Name, Partition: 3, Offset: 41}
	var head schemas.Head[customers.Customer]
	latest, err := sd.DecodeInto(context.Background(), pos, b, &head)
	if err != nil || !latest {
		t.Fatalf("DecodeInto = %v, %v; want true, nil", latest, err)
	}
	if diff := firstDifference(&head, snap.Head()); diff != "" {
		t.Errorf("the head read differs from the snapshot's: %s", diff)
	}

	// A cut record is still refused, as Decode refuses it.
	_, err = sd.DecodeInto(context.Background(), pos, b[:len(b)-3], &head)
	requireDecodeError(t, err, pos)
}

func TestDecodeIntoRefusesARecordThatIsNotAValueTypeOfItsTopic(t *testing.T) {
	sd, _ := testkit.Serde(t)
	b, err := sd.Encode(topics.Customers.Table.Name, &customers.CustomerSnapshot{AggregateID: "c", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	pos := serde.Position{Topic: topics.Stores.Table.Name, Partition: 0, Offset: 7}
	var head schemas.Head[customers.Customer]
	_, err = sd.DecodeInto(context.Background(), pos, b, &head)
	de := requireDecodeError(t, err, pos)
	if want := "is not a value type of " + topics.Stores.Table.Name; !strings.Contains(de.Error(), want) {
		t.Errorf("error %q does not say %q", de, want)
	}
}

// A record of an older version is left to Decode, which upcasts it.
func TestDecodeIntoLeavesARecordOfAnOlderVersionToDecode(t *testing.T) {
	fx := newThingFixture(t)
	pos := serde.Position{Topic: thingsTopic, Partition: 1, Offset: 9}
	var part struct {
		Name string `avro:"name"`
	}
	old := writeWith(t, fx.codecs[0], fx.idOf(t, 1), map[string]any{"id": "t1", "name": "old"})
	latest, err := fx.sd.DecodeInto(context.Background(), pos, old, &part)
	if err != nil || latest || part.Name != "" {
		t.Fatalf("DecodeInto(v1) = %v, %v, read %q; want false, nil, nothing read", latest, err, part.Name)
	}
	cur := writeWith(t, fx.codecs[1], fx.idOf(t, 2), map[string]any{"id": "t2", "name": "new", "category": "c"})
	latest, err = fx.sd.DecodeInto(context.Background(), pos, cur, &part)
	if err != nil || !latest || part.Name != "new" {
		t.Fatalf("DecodeInto(v2) = %v, %v, read %q; want true, nil, \"new\"", latest, err, part.Name)
	}
}
