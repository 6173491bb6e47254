package idempotency

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// Groups are the goka groups of the idempotency context: the
// Idempotency-Key aggregate's, which reads no other table.
func Groups(rt *engine.Runtime) []*goka.GroupGraph {
	return []*goka.GroupGraph{engine.Group(rt, topics.IdempotencyKeys, KeyRules, nil)}
}
