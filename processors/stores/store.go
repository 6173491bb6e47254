// Package stores runs the stores context: the Store and Product aggregates.
// store.go and product.go are the pure rules (decide/evolve, no I/O);
// processor.go builds their goka groups on processors/engine.
package stores

import (
	"fmt"
	"strings"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas/stores"
)

// Store rejections, with the exact texts of docs/domain.md.
var (
	ErrStoreNameBlank       = aggregate.Reject(aggregate.Invalid, "store_name_blank", "the store name cannot be blank")
	ErrStoreLocationBlank   = aggregate.Reject(aggregate.Invalid, "store_location_blank", "the store location cannot be blank")
	ErrStoreExists          = aggregate.Reject(aggregate.Invalid, "store_exists", "the store already exists")
	ErrStoreNotFound        = aggregate.Reject(aggregate.NotFound, "store_not_found", "the store does not exist")
	ErrAlreadyParticipating = aggregate.Reject(aggregate.Invalid, "store_already_participating", "the store is already participating")
	ErrNotParticipating     = aggregate.Reject(aggregate.Invalid, "store_not_participating", "the store is already not participating")
)

// StoreRules are the Store aggregate's rules.
var StoreRules = aggregate.Rules[stores.Store, stores.StoreCommand, stores.StoreEvent]{
	Type:   "store",
	Decide: decideStore,
	Evolve: evolveStore,
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func decideStore(s *stores.Store, cmd stores.StoreCommand, _ aggregate.Facts) ([]stores.StoreEvent, error) {
	if c, ok := cmd.(*stores.CreateStore); ok {
		switch {
		case s != nil:
			return nil, ErrStoreExists
		case blank(c.Name):
			return nil, ErrStoreNameBlank
		case blank(c.Location):
			return nil, ErrStoreLocationBlank
		}
		return one[stores.StoreEvent](&stores.StoreCreated{Name: c.Name, Location: c.Location}), nil
	}
	if s == nil {
		return nil, ErrStoreNotFound
	}
	switch c := cmd.(type) {
	case *stores.EnableParticipation:
		if s.Participating {
			return nil, ErrAlreadyParticipating
		}
		return one[stores.StoreEvent](&stores.StoreParticipationEnabled{}), nil
	case *stores.DisableParticipation:
		if !s.Participating {
			return nil, ErrNotParticipating
		}
		return one[stores.StoreEvent](&stores.StoreParticipationDisabled{}), nil
	case *stores.RebrandStore:
		if blank(c.Name) {
			return nil, ErrStoreNameBlank
		}
		return one[stores.StoreEvent](&stores.StoreRebranded{Name: c.Name}), nil
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

func one[E any](e E) []E { return []E{e} }
