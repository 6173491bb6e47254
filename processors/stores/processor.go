package stores

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// StoreGroup is the goka group of the Store aggregate.
func StoreGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Stores, StoreRules, nil, deps)
}

// ProductGroup is the goka group of the Product aggregate; it looks up the
// stores table to check AddProduct's store.
func ProductGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Products, ProductRules, []string{topics.Stores.Table.Name}, deps)
}

// Groups are the goka groups of the stores context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{StoreGroup(deps), ProductGroup(deps)}
}
