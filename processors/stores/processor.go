package stores

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// Groups are the goka groups of the stores context: the Store
// aggregate's, and the Product aggregate's, which looks up the stores table
// to check AddProduct's store.
func Groups(rt *engine.Runtime) []*goka.GroupGraph {
	return []*goka.GroupGraph{
		engine.Group(rt, topics.Stores, StoreRules, nil),
		engine.Group(rt, topics.Products, ProductRules, []string{topics.Stores.Table.Name}),
	}
}
