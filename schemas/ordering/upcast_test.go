package ordering_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// v1 writes an OrderSnapshot with the published v1 schema, as a processor
// built before v2 did.
func v1(t *testing.T, recent []any) []byte {
	t.Helper()
	_, client := testkit.Serde(t)
	ctx := context.Background()
	subject := serde.Subject(topics.Orders.Table.Name, "mallbots.ordering.OrderSnapshot")
	s, err := client.SchemaByVersion(ctx, subject, 1)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(s.Schema.Schema)
	if err != nil {
		t.Fatal(err)
	}
	native := map[string]any{
		"aggregateId": "order-1", "version": int64(2), "lastOffset": int64(7), "updatedAt": time.UnixMilli(5000).UTC(),
		"recent": recent,
		"state": map[string]any{"id": "order-1", "customerId": "c1", "paymentId": "p1", "shoppingListId": "", "invoiceId": "",
			"items": []any{}, "totalCents": int64(999), "status": "approved", "rejectionReason": ""},
	}
	b := make([]byte, 5)
	binary.BigEndian.PutUint32(b[1:], uint32(s.ID))
	b, err = codec.BinaryFromNative(b, native)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func applied(version int64, at time.Time) map[string]any {
	return map[string]any{"commandId": "c", "offset": int64(1), "version": version, "processedAt": at, "events": []any{},
		"rejectionCode": "", "rejectionMessage": "", "rejectionKind": ""}
}

func TestAV1OrderSnapshotLearnsItsCreationTimeFromItsWindow(t *testing.T) {
	sd, _ := testkit.Serde(t)
	created := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	b := v1(t, []any{applied(1, created), applied(2, created.Add(time.Minute))})
	v, err := sd.Decode(context.Background(), serde.Position{Topic: topics.Orders.Table.Name}, b)
	if err != nil {
		t.Fatal(err)
	}
	snap := v.(*ordering.OrderSnapshot)
	if !snap.State.CreatedAt.Equal(created) || snap.State.Status != "approved" || snap.Version != 2 {
		t.Fatalf("upcast snapshot %+v", snap.State)
	}
}

func TestAV1OrderSnapshotWhoseWindowForgotTheCreationHasNoCreationTime(t *testing.T) {
	sd, _ := testkit.Serde(t)
	b := v1(t, []any{applied(2, time.Now())})
	v, err := sd.Decode(context.Background(), serde.Position{Topic: topics.Orders.Table.Name}, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(*ordering.OrderSnapshot).State.CreatedAt; got.UnixMilli() != 0 {
		t.Fatalf("createdAt %s, want the zero instant", got)
	}
}
