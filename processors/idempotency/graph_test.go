package idempotency_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/idempotency"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): the key group is a
// valid goka graph built only from names in the topics catalogue; it reads
// no other table.
func TestKeyGroupGraphUsesTheCatalogue(t *testing.T) {
	enginetest.AssertContextGroups(t, idempotency.Groups(engine.Deps{}), topics.IdempotencyKeys)
	enginetest.AssertAggregateGraph(t, idempotency.KeyGroup(engine.Deps{}), topics.IdempotencyKeys)
}
