package schemas_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// sealed is a StoreParticipationEnabled sealed after prev under c.
func sealed(t *testing.T, sd *serde.Serde, prev string, c serde.Chain) ([]byte, string) {
	t.Helper()
	ev := &stores.StoreParticipationEnabled{EventMeta: schemas.EventMeta{EventID: "e2", AggregateID: "s1", AggregateVersion: 2,
		OccurredAt: time.UnixMilli(1_700_000_000_000).UTC(), CommandID: "c2", CausationID: "c2", CorrelationID: "c2"}}
	b, sum, err := sd.Seal(topics.Stores.Events.Name, ev, prev, c)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Hash != sum || ev.PrevHash != prev {
		t.Fatalf("Seal left the event at prevHash %q hash %q, want %q %q", ev.PrevHash, ev.Hash, prev, sum)
	}
	return b, sum
}

func linkOf(t *testing.T, sd *serde.Serde, b []byte, c serde.Chain) serde.Link {
	t.Helper()
	ctx := context.Background()
	v, err := sd.Decode(ctx, serde.Position{Topic: topics.Stores.Events.Name}, b)
	if err != nil {
		t.Fatal(err)
	}
	l, err := sd.LinkOf(ctx, b, v.(schemas.Event), c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A sealed event's hash is recomputed from its bytes alone; a change of
// one byte of its body, of its schema id (another type with the same
// layout), or of the key gives another hash.
func TestASealedEventsHashIsRecomputedFromItsBytes(t *testing.T) {
	sd, client := testkit.Serde(t)
	prev := "aa" + string(bytes.Repeat([]byte("0"), serde.HashLen-2))
	b, sum := sealed(t, sd, prev, serde.Chain{})
	if l := linkOf(t, sd, b, serde.Chain{}); !l.Intact() || l.PrevHash != prev || l.Sum != sum {
		t.Fatalf("an honest record: %+v, want intact with hash %s", l, sum)
	}

	altered := bytes.Clone(b)
	altered[7] ^= 1 // inside the event id
	if l := linkOf(t, sd, altered, serde.Chain{}); l.Intact() {
		t.Fatalf("an altered record still checks: %+v", l)
	}

	// StoreParticipationDisabled has the very layout of Enabled: the same
	// body under its schema id means the opposite.
	disabled, err := client.SchemaByVersion(context.Background(), serde.Subject(topics.Stores.Events.Name, "mallbots.stores.StoreParticipationDisabled"), schemaType(t, "mallbots.stores.StoreParticipationDisabled").Latest())
	if err != nil {
		t.Fatal(err)
	}
	swapped := append(frame(disabled.ID, nil), b[5:]...)
	if l := linkOf(t, sd, swapped, serde.Chain{}); l.Intact() {
		t.Fatalf("a record re-labelled as another type still checks: %+v", l)
	}

	key := serde.NewChain([]byte("the processors' secret"))
	kb, ksum := sealed(t, sd, prev, key)
	if ksum == sum {
		t.Fatal("the keyed chain gives the plain hash")
	}
	if l := linkOf(t, sd, kb, serde.Chain{}); l.Intact() {
		t.Fatal("a keyed record checks without the key")
	}
	if l := linkOf(t, sd, kb, key); !l.Intact() {
		t.Fatalf("a keyed record does not check with its key: %+v", l)
	}
}

// A record written with a version from before the chain is unchained: it
// has neither hash, and nothing to recompute.
func TestARecordWrittenBeforeTheChainIsUnchained(t *testing.T) {
	sd, client := testkit.Serde(t)
	ctx := context.Background()
	b, err := framedFixture(ctx, t, client, schemaType(t, "mallbots.stores.StoreCreated"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if l := linkOf(t, sd, b, serde.Chain{}); l.Chained || l.Intact() || l.Hash != "" {
		t.Fatalf("a v1 StoreCreated: %+v, want unchained", l)
	}
}
