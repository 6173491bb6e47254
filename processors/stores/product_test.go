package stores

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

type productSpec = aggregatetest.Spec[stores.ProductCommand, stores.ProductEvent]

// storeExists is what the stores table says about store-1.
var storeExists = aggregatetest.Fact(topics.Stores.Table.Name, "store-1", stores.Store{ID: "store-1", Name: "Nic & Naks"})

func added(price int64) stores.ProductEvent {
	return &stores.ProductAdded{StoreID: "store-1", Name: "Wizard w/ crystal", Description: "a wizard", SKU: "WZ-1", PriceCents: price}
}

func TestProductRules(t *testing.T) {
	addWizard := func(price int64) *stores.AddProduct {
		return &stores.AddProduct{StoreID: "store-1", Name: "Wizard w/ crystal", Description: "a wizard", SKU: "WZ-1", PriceCents: price}
	}
	aggregatetest.Run(t, ProductRules, []productSpec{
		{Name: "given store Nic & Naks exists, adding Wizard w/ crystal at 9.98 succeeds",
			When: addWizard(998), Facts: storeExists, Then: []stores.ProductEvent{added(998)}},
		{Name: "a product added with a category carries it in its event (AddProduct v2)",
			When:  &stores.AddProduct{StoreID: "store-1", Name: "Wizard w/ crystal", SKU: "WZ-1", PriceCents: 998, Category: "toys"},
			Facts: storeExists,
			Then:  []stores.ProductEvent{&stores.ProductAdded{StoreID: "store-1", Name: "Wizard w/ crystal", SKU: "WZ-1", PriceCents: 998, Category: "toys"}}},
		{Name: "a free product is allowed",
			When: addWizard(0), Facts: storeExists, Then: []stores.ProductEvent{added(0)}},
		{Name: "adding a product to an unknown store fails",
			When: addWizard(998), Err: ErrStoreNotFound},
		{Name: "adding a product with a blank name fails",
			When: &stores.AddProduct{StoreID: "store-1", PriceCents: 1}, Facts: storeExists, Err: ErrProductNameBlank},
		{Name: "adding a product with a negative price fails",
			When: addWizard(-1), Facts: storeExists, Err: ErrProductPriceNegative},
		{Name: "a product at the largest price, 1,000,000.00, is allowed",
			When: addWizard(100_000_000), Facts: storeExists, Then: []stores.ProductEvent{added(100_000_000)}},
		{Name: "adding a product priced above 1,000,000.00 fails",
			When: addWizard(100_000_001), Facts: storeExists, Err: ErrProductPriceTooLarge},
		{Name: "adding the product of issue 20, priced 46,116,860,184,273,879.03, fails",
			When: addWizard(4_611_686_018_427_387_903), Facts: storeExists, Err: ErrProductPriceTooLarge},
		{Name: "adding the same product id twice fails",
			Given: []stores.ProductEvent{added(998)},
			When:  addWizard(998), Facts: storeExists, Err: ErrProductExists},
		{Name: "rebranding",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.RebrandProduct{Name: "Wizard", Description: "plain"},
			Then:  []stores.ProductEvent{&stores.ProductRebranded{Name: "Wizard", Description: "plain"}}},
		{Name: "rebranding to a blank name fails",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.RebrandProduct{Name: ""}, Err: ErrProductNameBlank},
		{Name: "increasing the price",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.IncreaseProductPrice{PriceCents: 1099},
			Then:  []stores.ProductEvent{&stores.ProductPriceIncreased{DeltaCents: 101, PriceCents: 1099}}},
		{Name: "an increase to a lower price fails",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.IncreaseProductPrice{PriceCents: 997}, Err: ErrPriceDecrease},
		{Name: "an increase to the largest price succeeds",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.IncreaseProductPrice{PriceCents: 100_000_000},
			Then:  []stores.ProductEvent{&stores.ProductPriceIncreased{DeltaCents: 100_000_000 - 998, PriceCents: 100_000_000}}},
		{Name: "an increase above 1,000,000.00 fails",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.IncreaseProductPrice{PriceCents: 100_000_001}, Err: ErrProductPriceTooLarge},
		{Name: "decreasing the price",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.DecreaseProductPrice{PriceCents: 500},
			Then:  []stores.ProductEvent{&stores.ProductPriceDecreased{DeltaCents: 498, PriceCents: 500}}},
		{Name: "a decrease to a higher price fails",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.DecreaseProductPrice{PriceCents: 999}, Err: ErrPriceIncrease},
		{Name: "a decrease below zero fails",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.DecreaseProductPrice{PriceCents: -1}, Err: ErrProductPriceNegative},
		{Name: "a product priced above the limit before it existed can be decreased to the limit",
			Given: []stores.ProductEvent{added(4_611_686_018_427_387_903)},
			When:  &stores.DecreaseProductPrice{PriceCents: 100_000_000},
			Then:  []stores.ProductEvent{&stores.ProductPriceDecreased{DeltaCents: 4_611_686_018_427_387_903 - 100_000_000, PriceCents: 100_000_000}}},
		{Name: "a decrease that stays above 1,000,000.00 fails",
			Given: []stores.ProductEvent{added(4_611_686_018_427_387_903)},
			When:  &stores.DecreaseProductPrice{PriceCents: 100_000_001}, Err: ErrProductPriceTooLarge},
		{Name: "removing",
			Given: []stores.ProductEvent{added(998)},
			When:  &stores.RemoveProduct{},
			Then:  []stores.ProductEvent{&stores.ProductRemoved{}}},
		{Name: "any command on a removed product fails",
			Given: []stores.ProductEvent{added(998), &stores.ProductRemoved{}},
			When:  &stores.IncreaseProductPrice{PriceCents: 2000}, Err: ErrProductRemoved},
		{Name: "removing a removed product fails",
			Given: []stores.ProductEvent{added(998), &stores.ProductRemoved{}},
			When:  &stores.RemoveProduct{}, Err: ErrProductRemoved},
		{Name: "any command on an unknown product fails",
			When: &stores.RemoveProduct{}, Err: ErrProductNotFound},
	})
}

func TestTheProductPriceRejectionsSayTheirLimits(t *testing.T) {
	for err, want := range map[*aggregate.Rejection]string{
		ErrProductPriceNegative: "the product price cannot be negative",
		ErrProductPriceTooLarge: "the product price cannot exceed 1,000,000.00",
	} {
		if err.Message != want || err.Kind != aggregate.Invalid {
			t.Errorf("%s says %q (%s), want %q (400)", err.Code, err.Message, err.Kind, want)
		}
	}
	if ErrProductPriceTooLarge.Code != "product_price_too_large" {
		t.Errorf("code %q", ErrProductPriceTooLarge.Code)
	}
}
