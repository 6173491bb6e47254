package stores

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/stores"
)

type storeSpec = aggregatetest.Spec[stores.StoreCommand, stores.StoreEvent]

func created() stores.StoreEvent {
	return &stores.StoreCreated{Name: "Waldorf Books", Location: "Level 1"}
}

func TestStoreRules(t *testing.T) {
	aggregatetest.Run(t, StoreRules, []storeSpec{
		{Name: "creating a store called Waldorf Books succeeds",
			When: &stores.CreateStore{Name: "Waldorf Books", Location: "Level 1"},
			Then: []stores.StoreEvent{created()}},
		{Name: "creating a store with a blank name fails",
			When: &stores.CreateStore{Name: "", Location: "Level 1"}, Err: ErrStoreNameBlank},
		{Name: "a name of spaces is blank",
			When: &stores.CreateStore{Name: "   ", Location: "Level 1"}, Err: ErrStoreNameBlank},
		{Name: "creating a store with a blank location fails",
			When: &stores.CreateStore{Name: "Waldorf Books"}, Err: ErrStoreLocationBlank},
		{Name: "creating a store twice fails",
			Given: []stores.StoreEvent{created()},
			When:  &stores.CreateStore{Name: "Waldorf Books", Location: "Level 1"}, Err: ErrStoreExists},
		{Name: "enabling participation",
			Given: []stores.StoreEvent{created()},
			When:  &stores.EnableParticipation{},
			Then:  []stores.StoreEvent{&stores.StoreParticipationEnabled{}}},
		{Name: "enabling participation twice fails",
			Given: []stores.StoreEvent{created(), &stores.StoreParticipationEnabled{}},
			When:  &stores.EnableParticipation{}, Err: ErrAlreadyParticipating},
		{Name: "disabling participation of a participating store",
			Given: []stores.StoreEvent{created(), &stores.StoreParticipationEnabled{}},
			When:  &stores.DisableParticipation{},
			Then:  []stores.StoreEvent{&stores.StoreParticipationDisabled{}}},
		{Name: "disabling participation of a store not participating fails",
			Given: []stores.StoreEvent{created()},
			When:  &stores.DisableParticipation{}, Err: ErrNotParticipating},
		{Name: "rebranding",
			Given: []stores.StoreEvent{created()},
			When:  &stores.RebrandStore{Name: "Nic & Naks"},
			Then:  []stores.StoreEvent{&stores.StoreRebranded{Name: "Nic & Naks"}}},
		{Name: "rebranding to a blank name fails",
			Given: []stores.StoreEvent{created()},
			When:  &stores.RebrandStore{Name: " "}, Err: ErrStoreNameBlank},
		{Name: "any command but create on an unknown store fails",
			When: &stores.EnableParticipation{}, Err: ErrStoreNotFound},
		{Name: "rebranding an unknown store fails",
			When: &stores.RebrandStore{Name: "X"}, Err: ErrStoreNotFound},
	})
}

func TestStoreEvolveRejectsUnknownEvents(t *testing.T) {
	if _, err := evolveStore(stores.Store{}, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
