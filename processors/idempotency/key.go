// Package idempotency runs the HTTP API's Idempotency-Key aggregate: one per
// key, binding it to the first request that claimed it, so that a key sent
// again with another request is refused instead of applied (see
// docs/adr/0015-idempotency-keys.md). key.go holds the pure rules;
// processor.go builds the goka group on processors/engine.
//
// Consumes mallbots.idempotencykeys.commands (claims from the API);
// produces mallbots.idempotencykeys.events, snapshots in
// mallbots.idempotencykeys-table, results and dead letters. The group runs
// with the API component.
package idempotency

import (
	"fmt"
	"strconv"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas/idempotency"
)

// CodeKeyReused is the rejection code of a claim whose key is bound to
// another request; the API answers it with 422.
const CodeKeyReused = "idempotency_key_reused"

// ErrNoFingerprint refuses a claim that names no request: every claim
// would match it.
var ErrNoFingerprint = aggregate.Reject(aggregate.Invalid, "idempotency_fingerprint_missing", "a claim of an Idempotency-Key needs the fingerprint of its request")

// KeyRules are the Idempotency-Key aggregate's rules. The first claim binds
// the key to its request's fingerprint; a claim with the same fingerprint
// (the request retried) is accepted and appends nothing; a claim with
// another fingerprint is rejected, forever: a key never moves to another
// request.
var KeyRules = aggregate.Rules[idempotency.IdempotencyKey, idempotency.KeyCommand, idempotency.KeyEvent]{
	Type:   "idempotency_key",
	Decide: decideKey,
	Evolve: evolveKey,
}

func decideKey(k *idempotency.IdempotencyKey, cmd idempotency.KeyCommand, _ aggregate.Facts) ([]idempotency.KeyEvent, error) {
	claim, ok := cmd.(*idempotency.ClaimIdempotencyKey)
	switch {
	case !ok:
		return nil, fmt.Errorf("the Idempotency-Key aggregate has no rule for %T", cmd)
	case claim.Fingerprint == "":
		return nil, ErrNoFingerprint
	case k == nil:
		return []idempotency.KeyEvent{&idempotency.IdempotencyKeyClaimed{Fingerprint: claim.Fingerprint, Request: claim.Request}}, nil
	case k.Fingerprint == claim.Fingerprint:
		return nil, nil
	}
	return nil, reused(claim.AggregateID, k, claim)
}

// reused is the rejection of a claim whose key is bound to another request:
// it says what the key was first used for, and what to do.
func reused(key string, bound *idempotency.IdempotencyKey, claim *idempotency.ClaimIdempotencyKey) *aggregate.Rejection {
	first := bound.Request
	if bound.Request == claim.Request {
		first += " with another body or If-Match"
	}
	return aggregate.Reject(aggregate.Conflict, CodeKeyReused, fmt.Sprintf(
		"the Idempotency-Key %s was used with a different request (first: %s); use a new key for a new request",
		strconv.Quote(key), first))
}

func evolveKey(k idempotency.IdempotencyKey, ev idempotency.KeyEvent) (idempotency.IdempotencyKey, error) {
	switch ev := ev.(type) {
	case *idempotency.IdempotencyKeyClaimed:
		return idempotency.IdempotencyKey{Key: ev.AggregateID, Fingerprint: ev.Fingerprint, Request: ev.Request, ClaimedAt: ev.OccurredAt}, nil
	}
	return k, fmt.Errorf("the Idempotency-Key aggregate cannot apply %T", ev)
}
