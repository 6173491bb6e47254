package idempotency

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/idempotency"
)

type keySpec = aggregatetest.Spec[idempotency.KeyCommand, idempotency.KeyEvent]

func claim(fingerprint, request string) *idempotency.ClaimIdempotencyKey {
	return &idempotency.ClaimIdempotencyKey{Fingerprint: fingerprint, Request: request}
}

func claimed(fingerprint, request string) idempotency.KeyEvent {
	return &idempotency.IdempotencyKeyClaimed{Fingerprint: fingerprint, Request: request}
}

// aggregatetest names the key under test "agg-1".
func TestKeyRules(t *testing.T) {
	aggregatetest.Run(t, KeyRules, []keySpec{
		{Name: "the first claim of a key binds it to its request",
			When: claim("f1", "POST /api/customers"),
			Then: []idempotency.KeyEvent{claimed("f1", "POST /api/customers")}},
		{Name: "the same request claiming again is accepted and appends nothing",
			Given: []idempotency.KeyEvent{claimed("f1", "POST /api/customers")},
			When:  claim("f1", "POST /api/customers"),
			Then:  nil},
		{Name: "the same route with another body is refused, naming the route",
			Given: []idempotency.KeyEvent{claimed("f1", "POST /api/customers")},
			When:  claim("f2", "POST /api/customers"),
			Err: aggregate.Reject(aggregate.Conflict, "idempotency_key_reused",
				`the Idempotency-Key "agg-1" was used with a different request (first: POST /api/customers with another body or If-Match); use a new key for a new request`)},
		{Name: "another route is refused, naming the first",
			Given: []idempotency.KeyEvent{claimed("f1", "POST /api/customers")},
			When:  claim("f3", "POST /api/stores"),
			Err: aggregate.Reject(aggregate.Conflict, "idempotency_key_reused",
				`the Idempotency-Key "agg-1" was used with a different request (first: POST /api/customers); use a new key for a new request`)},
		{Name: "a claim without a fingerprint is refused",
			When: claim("", "POST /api/customers"), Err: ErrNoFingerprint},
		{Name: "a claim without a fingerprint does not match a bound key",
			Given: []idempotency.KeyEvent{claimed("f1", "POST /api/customers")},
			When:  claim("", "POST /api/customers"), Err: ErrNoFingerprint},
	})
}

func TestAClaimedKeyRemembersItsRequest(t *testing.T) {
	ev := &idempotency.IdempotencyKeyClaimed{Fingerprint: "f1", Request: "PUT /api/baskets/b1/addItem"}
	ev.AggregateID = "key-1"
	k, err := evolveKey(idempotency.IdempotencyKey{}, ev)
	if err != nil {
		t.Fatal(err)
	}
	if k.Key != "key-1" || k.Fingerprint != "f1" || k.Request != "PUT /api/baskets/b1/addItem" {
		t.Fatalf("evolved to %+v", k)
	}
}
