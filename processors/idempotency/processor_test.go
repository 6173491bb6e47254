package idempotency

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas/idempotency"
	"github.com/mallbots/mallbots/topics"
)

// The key group runs under goka's tester (enginetest): claims in partition
// order, the first wins.

func send(r *enginetest.Rig, commandID, key, fingerprint, request string) {
	r.Send(&idempotency.ClaimIdempotencyKey{CommandMeta: enginetest.Meta(commandID, key), Fingerprint: fingerprint, Request: request})
}

func TestTheFirstClaimOfAKeyWinsAndARetryIsAnsweredTheSame(t *testing.T) {
	r := enginetest.New(t, Groups)

	send(r, "claim-a", "key-1", "fa", "POST /api/customers")
	ev := r.NextEvent(topics.IdempotencyKeys).(*idempotency.IdempotencyKeyClaimed)
	if ev.AggregateID != "key-1" || ev.Fingerprint != "fa" || ev.AggregateVersion != 1 {
		t.Fatalf("unexpected event %+v", ev)
	}
	if res := r.NextResult(); !res.Accepted || res.Version != 1 || res.CommandID != "claim-a" || res.AggregateType != "idempotency_key" {
		t.Fatalf("the first claim: %+v", res)
	}

	send(r, "claim-b", "key-1", "fb", "POST /api/customers")
	if res := r.NextResult(); res.Accepted || res.Code != CodeKeyReused || res.Kind != "conflict" || res.CommandID != "claim-b" {
		t.Fatalf("a second request with the key: %+v", res)
	}

	// The first request again, as a new record (a client retry) and as a
	// claim decided afresh under another command id: both accepted.
	send(r, "claim-a", "key-1", "fa", "POST /api/customers")
	if res := r.NextResult(); !res.Accepted || res.Version != 1 {
		t.Fatalf("the first claim retried: %+v", res)
	}
	send(r, "claim-a2", "key-1", "fa", "POST /api/customers")
	if res := r.NextResult(); !res.Accepted || res.Version != 1 {
		t.Fatalf("the first request claiming again: %+v", res)
	}
	r.NoEvent(topics.IdempotencyKeys)

	snap := enginetest.Snapshot[idempotency.IdempotencyKey](r, topics.IdempotencyKeys, "key-1")
	if snap.Version != 1 || snap.State.Fingerprint != "fa" || snap.State.Request != "POST /api/customers" || snap.State.Key != "key-1" {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
}

func TestKeysAreIndependent(t *testing.T) {
	r := enginetest.New(t, Groups)
	send(r, "c1", "key-1", "f", "POST /api/customers")
	send(r, "c2", "key-2", "g", "POST /api/stores")
	for _, key := range []string{"key-1", "key-2"} {
		if res := r.NextResult(); !res.Accepted || res.AggregateID != key {
			t.Fatalf("claim of %s: %+v", key, res)
		}
	}
}
