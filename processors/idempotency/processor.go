package idempotency

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// KeyGroup is the goka group of the Idempotency-Key aggregate. It reads no
// other table.
func KeyGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.IdempotencyKeys, KeyRules, nil, deps)
}

// Groups are the goka groups of the idempotency context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{KeyGroup(deps)}
}
