package stores

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The stores groups run under goka's tester (enginetest), both of them.

var meta = enginetest.Meta

func storeSnapshot(r *enginetest.Rig, id string) *stores.StoreSnapshot {
	return enginetest.Snapshot[stores.Store](r, topics.Stores, id)
}

func TestCreateStoreEmitsEventStateAndResult(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"})

	ev := r.NextEvent(topics.Stores).(*stores.StoreCreated)
	if ev.Name != "Waldorf Books" || ev.AggregateVersion != 1 || ev.AggregateID != "s1" || ev.CommandID != "c1" || ev.EventID != schemas.EventID("c1", 0) {
		t.Fatalf("unexpected event %+v", ev)
	}
	res := r.NextResult()
	if !res.Accepted || res.Version != 1 || res.AggregateType != "store" || len(res.EventIDs) != 1 || res.EventIDs[0] != ev.EventID {
		t.Fatalf("unexpected result %+v", res)
	}
	snap := storeSnapshot(r, "s1")
	if snap.Version != 1 || snap.State.Name != "Waldorf Books" || len(snap.Recent) != 1 || len(snap.Recent[0].Events) != 1 {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}

func TestRejectionStoresNothingForAMissingAggregateAndAnswersWithTheText(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "", Location: "Level 1"})
	res := r.NextResult()
	if res.Accepted || res.Message != "the store name cannot be blank" || res.Kind != "invalid" || res.Version != 0 {
		t.Fatalf("unexpected result %+v", res)
	}
	if s := storeSnapshot(r, "s1"); s != nil {
		t.Fatalf("a rejected create stored %+v", s)
	}
	r.NoEvent(topics.Stores) // a rejection appends no event
}

func TestARetriedCommandAnswersTheSameResultAndAppendsNothing(t *testing.T) {
	r := enginetest.New(t, Groups)
	create := &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Waldorf Books", Location: "Level 1"}
	r.Send(create)
	r.NextEvent(topics.Stores)
	firstRes := r.NextResult()

	r.Send(create) // same command id: a client retry
	againRes := r.NextResult()
	if !againRes.Accepted || againRes.Version != firstRes.Version || againRes.EventIDs[0] != firstRes.EventIDs[0] {
		t.Fatalf("second result differs: %+v vs %+v", againRes, firstRes)
	}
	r.NoEvent(topics.Stores) // a retried command appends no event
	if snap := storeSnapshot(r, "s1"); snap.Version != 1 {
		t.Fatalf("the retry changed the version to %d", snap.Version)
	}
}

func TestARejectionOfAnExistingAggregateIsRememberedForRetries(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "W", Location: "L"})
	r.NextResult()
	disable := &stores.DisableParticipation{CommandMeta: meta("c2", "s1")}
	r.Send(disable)
	if res := r.NextResult(); res.Message != "the store is already not participating" {
		t.Fatalf("unexpected %+v", res)
	}
	r.Send(&stores.EnableParticipation{CommandMeta: meta("c3", "s1")})
	r.NextResult()
	r.Send(disable) // retried after the state moved on
	if res := r.NextResult(); res.Accepted || res.Message != "the store is already not participating" {
		t.Fatalf("a retried rejection was decided again: %+v", res)
	}
}

func TestAddProductLooksUpTheStoresTable(t *testing.T) {
	r := enginetest.New(t, Groups)
	add := &stores.AddProduct{CommandMeta: meta("c1", "p1"), StoreID: "s1", Name: "Wizard w/ crystal", PriceCents: 998}
	r.Send(add)
	if res := r.NextResult(); res.Accepted || res.Message != "the store does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}

	r.Send(&stores.CreateStore{CommandMeta: meta("c2", "s1"), Name: "Nic & Naks", Location: "L"})
	r.NextResult()
	add.CommandID = "c3"
	r.Send(add)
	if res := r.NextResult(); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	ev := r.NextEvent(topics.Products).(*stores.ProductAdded)
	if ev.PriceCents != 998 || ev.StoreID != "s1" {
		t.Fatalf("unexpected %+v", ev)
	}
}

func TestGarbageIsDeadLetteredAndTheNextCommandProcessed(t *testing.T) {
	r := enginetest.New(t, Groups)
	cmds := topics.Stores.Commands
	r.SendRaw(cmds, "s1", []byte("definitely not avro"))
	r.SendRaw(cmds, "", []byte{0, 0, 0, 0, 1})
	r.SendRaw(cmds, "s1", enginetest.Encode(t, topics.Stores.Events, &stores.StoreCreated{EventMeta: schemas.EventMeta{AggregateID: "s1"}}))
	r.SendRaw(cmds, "s1", []byte{0, 0, 0, 0x7f, 0x7f, 1, 2})
	r.SendRaw(cmds, "s1", enginetest.Encode(t, cmds, &stores.CreateStore{CommandMeta: meta("c0", "s2"), Name: "W", Location: "L"}))

	for _, want := range []string{"magic byte", "no key", "is not a store command", "unknown schema id", "is not the command's aggregateId"} {
		h, _ := r.NextDeadLetter()
		if reason := string(h[topics.HeaderDLQReason]); !strings.Contains(reason, want) {
			t.Errorf("dead letter reason %q does not say %q", reason, want)
		}
		if string(h[topics.HeaderDLQTopic]) != cmds.Name || len(h[topics.HeaderDLQOffset]) == 0 {
			t.Errorf("dead letter headers lack the origin: %q", h)
		}
	}
	r.Send(&stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "W", Location: "L"})
	if res := r.NextResult(); !res.Accepted {
		t.Fatalf("the command after the garbage was not processed: %+v", res)
	}
}
