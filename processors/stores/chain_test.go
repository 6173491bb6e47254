package stores

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The hash chain of docs/adr/0021, specified on the Store aggregate: the
// engine seals every aggregate's events the same way.

// link decodes an event record and recomputes its chain hash.
func link(t *testing.T, raw []byte) (schemas.Event, serde.Link) {
	t.Helper()
	sd, _ := testkit.Serde(t)
	ctx := context.Background()
	v, err := sd.Decode(ctx, serde.Position{Topic: topics.Stores.Events.Name}, raw)
	if err != nil {
		t.Fatal(err)
	}
	ev := v.(schemas.Event)
	l, err := sd.LinkOf(ctx, raw, ev, serde.Chain{})
	if err != nil {
		t.Fatal(err)
	}
	return ev, l
}

func TestAnAggregatesEventsChainEachToThePreviousOnesHash(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"})
	r.Send(&stores.RebrandStore{CommandMeta: meta("c2", "s1"), Name: "Waldorf Comics"})
	r.Send(&stores.EnableParticipation{CommandMeta: meta("c3", "s1")})
	r.Send(&stores.RebrandStore{CommandMeta: meta("c4", "s1"), Name: ""}) // rejected: no event, the chain stays
	r.Send(&stores.DisableParticipation{CommandMeta: meta("c5", "s1")})

	prev, seen := "", map[string]bool{}
	for v := int64(1); v <= 4; v++ {
		ev, l := link(t, r.NextEventRaw(topics.Stores))
		m := ev.EventMetadata()
		if m.AggregateVersion != v {
			t.Fatalf("event v%d, want v%d", m.AggregateVersion, v)
		}
		if !l.Intact() || len(m.Hash) != serde.HashLen {
			t.Errorf("v%d: hash %q, its bytes give %q", v, m.Hash, l.Sum)
		}
		if m.PrevHash != prev {
			t.Errorf("v%d: prevHash %q, want the hash of v%d %q", v, m.PrevHash, v-1, prev)
		}
		if seen[m.Hash] {
			t.Errorf("v%d: hash %s repeats an earlier one", v, m.Hash)
		}
		seen[m.Hash], prev = true, m.Hash
	}
	r.NoEvent(topics.Stores)
	if got := storeSnapshot(r, "s1").LastHash; got != prev {
		t.Fatalf("the snapshot's lastHash is %q, want the last event's %q", got, prev)
	}
}

// firstRun handles c1 (create) and c2 (rebrand) of store s1 and returns
// their event records and the snapshot they left.
func firstRun(t *testing.T) (create *stores.CreateStore, rebrand *stores.RebrandStore, events [][]byte, snap *stores.StoreSnapshot) {
	create = &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Honest Store", Location: "L1"}
	rebrand = &stores.RebrandStore{CommandMeta: meta("c2", "s1"), Name: "Honest Store Two"}
	r := enginetest.New(t, Groups)
	r.Send(create)
	r.Send(rebrand)
	events = [][]byte{r.NextEventRaw(topics.Stores), r.NextEventRaw(topics.Stores)}
	return create, rebrand, events, storeSnapshot(r, "s1")
}

func TestARedeliveredCommandReEmitsItsEventsWithTheSameHashes(t *testing.T) {
	create, _, events, snap := firstRun(t)
	// The state survived the crash (its window holds c1's sealed event),
	// the event did not reach the log: goka delivers c1 again at offset 0.
	snap.Recent = snap.Recent[:1]
	_, l := link(t, events[0])
	snap.Version, snap.LastOffset, snap.LastHash = 1, 0, l.Hash
	snap.State.Name = create.Name
	r := enginetest.New(t, Groups, enginetest.WithEventLog(&enginetest.EventLog{}), enginetest.WithSnapshot(topics.Stores, snap))
	r.Send(create)
	if got := r.NextEventRaw(topics.Stores); string(got) != string(events[0]) {
		t.Fatalf("the redelivered command re-emitted other bytes:\n was %x\n now %x", events[0], got)
	}
	if got := storeSnapshot(r, "s1").LastHash; got != snap.LastHash {
		t.Fatalf("lastHash %q after the redelivery, want %q", got, snap.LastHash)
	}
}

func TestAnAdoptedLoggedEventIsTheChainsNextLink(t *testing.T) {
	create, rebrand, events, _ := firstRun(t)
	// The state was lost, c1's event is in the log: the redelivered c1
	// adopts it, and c2, decided afresh, chains on to the logged hash.
	log := &enginetest.EventLog{Records: []*kgo.Record{{Topic: topics.Stores.Events.Name, Key: []byte("s1"), Value: events[0]}}}
	r := enginetest.New(t, Groups, enginetest.WithEventLog(log))
	r.Send(create)
	r.NoEvent(topics.Stores)
	first, _ := link(t, events[0])
	if got := storeSnapshot(r, "s1").LastHash; got != first.EventMetadata().Hash {
		t.Fatalf("lastHash %q after adopting, want the logged event's %q", got, first.EventMetadata().Hash)
	}
	r.Send(rebrand)
	second, l := link(t, r.NextEventRaw(topics.Stores))
	if second.EventMetadata().PrevHash != first.EventMetadata().Hash || !l.Intact() {
		t.Fatalf("v2 prevHash %q (intact %v), want v1's hash %q", second.EventMetadata().PrevHash, l.Intact(), first.EventMetadata().Hash)
	}
}

func TestAnAggregateWrittenBeforeTheChainAnchorsItsFirstChainedEventOnTheEmptyHash(t *testing.T) {
	// A snapshot written before the chain has no lastHash: the aggregate's
	// next event is its first chained one, its prevHash "" (ADR 0021).
	legacy := &stores.StoreSnapshot{AggregateID: "s1", Version: 3, LastOffset: -1, State: stores.Store{ID: "s1", Name: "Old", Location: "L"}}
	r := enginetest.New(t, Groups, enginetest.WithSnapshot(topics.Stores, legacy))
	r.Send(&stores.RebrandStore{CommandMeta: meta("c9", "s1"), Name: "New"})
	ev, l := link(t, r.NextEventRaw(topics.Stores))
	if m := ev.EventMetadata(); m.AggregateVersion != 4 || m.PrevHash != "" || !l.Intact() {
		t.Fatalf("v%d prevHash %q intact %v, want v4 anchored on \"\"", m.AggregateVersion, m.PrevHash, l.Intact())
	}
}
