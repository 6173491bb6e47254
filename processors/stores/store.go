// Package stores runs the stores context: the Store and Product aggregates.
// store.go and product.go are the pure rules (decide/evolve, no I/O);
// processor.go builds their goka groups on processors/engine.
package stores

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas/stores"
)

// Store rejections, with the exact texts of docs/domain.md.
var (
	ErrStoreNameBlank       = aggregate.CannotBeBlank("store name")
	ErrStoreLocationBlank   = aggregate.CannotBeBlank("store location")
	ErrStoreExists          = aggregate.AlreadyExists("store")
	ErrStoreNotFound        = aggregate.DoesNotExist("store")
	ErrAlreadyParticipating = aggregate.Reject(aggregate.Invalid, "store_already_participating", "the store is already participating")
	ErrNotParticipating     = aggregate.Reject(aggregate.Invalid, "store_not_participating", "the store is already not participating")
)

// StoreRules are the Store aggregate's rules.
var StoreRules = aggregate.Rules[stores.Store, stores.StoreCommand, stores.StoreEvent]{
	Type:   "store",
	Decide: aggregate.Lifecycle(ErrStoreExists, ErrStoreNotFound, createStore, changeStore),
	Evolve: evolveStore,
}

func createStore(c *stores.CreateStore, _ aggregate.Facts) ([]stores.StoreEvent, error) {
	return aggregate.Emit[stores.StoreEvent](&stores.StoreCreated{Name: c.Name, Location: c.Location},
		aggregate.When(aggregate.Blank(c.Name), ErrStoreNameBlank),
		aggregate.When(aggregate.Blank(c.Location), ErrStoreLocationBlank))
}

func changeStore(s *stores.Store, cmd stores.StoreCommand, _ aggregate.Facts) ([]stores.StoreEvent, error) {
	switch c := cmd.(type) {
	case *stores.EnableParticipation:
		return aggregate.Emit[stores.StoreEvent](&stores.StoreParticipationEnabled{}, aggregate.When(s.Participating, ErrAlreadyParticipating))
	case *stores.DisableParticipation:
		return aggregate.Emit[stores.StoreEvent](&stores.StoreParticipationDisabled{}, aggregate.When(!s.Participating, ErrNotParticipating))
	case *stores.RebrandStore:
		return aggregate.Emit[stores.StoreEvent](&stores.StoreRebranded{Name: c.Name}, aggregate.When(aggregate.Blank(c.Name), ErrStoreNameBlank))
	}
	return nil, fmt.Errorf("the store aggregate does not handle %T", cmd)
}

func evolveStore(s stores.Store, ev stores.StoreEvent) (stores.Store, error) {
	switch e := ev.(type) {
	case *stores.StoreCreated:
		return stores.Store{ID: e.AggregateID, Name: e.Name, Location: e.Location}, nil
	case *stores.StoreParticipationEnabled:
		s.Participating = true
	case *stores.StoreParticipationDisabled:
		s.Participating = false
	case *stores.StoreRebranded:
		s.Name = e.Name
	default:
		return s, fmt.Errorf("the store aggregate cannot apply %T", ev)
	}
	return s, nil
}
