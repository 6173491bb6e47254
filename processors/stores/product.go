package stores

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// Product rejections, with the exact texts of docs/domain.md.
var (
	ErrProductNameBlank     = aggregate.CannotBeBlank("product name")
	ErrProductPriceNegative = limits.ErrPriceNegative
	ErrProductNotFound      = aggregate.DoesNotExist("product")
	ErrProductRemoved       = aggregate.Reject(aggregate.Invalid, "product_removed", "the product has been removed")
	ErrPriceDecrease        = aggregate.Reject(aggregate.Invalid, "price_change_is_decrease", "the price change would be a decrease")
	ErrPriceIncrease        = aggregate.Reject(aggregate.Invalid, "price_change_is_increase", "the price change would be an increase")
	// ErrProductPriceTooLarge refuses a price above limits.MaxPriceCents
	// (1,000,000.00), whichever command sets it (the original spec was
	// silent; a price past it let a basket's total wrap, issue 20,
	// docs/adr/0014; docs/domain.md lists the limits).
	ErrProductPriceTooLarge = limits.ErrPriceTooLarge
	// ErrProductExists refuses a second AddProduct with an id already used.
	ErrProductExists = aggregate.AlreadyExists("product")
)

// ProductRules are the Product aggregate's rules. AddProduct sees its store
// through the stores table (event-carried state, read with goka Lookup).
var ProductRules = aggregate.Rules[stores.Product, stores.ProductCommand, stores.ProductEvent]{
	Type: "product",
	Needs: aggregate.Sees[stores.ProductCommand](topics.Stores.Table.Name,
		func(c *stores.AddProduct) string { return c.StoreID }),
	Decide: aggregate.Lifecycle(ErrProductExists, ErrProductNotFound, addProduct, changeProduct),
	Evolve: evolveProduct,
}

func addProduct(c *stores.AddProduct, facts aggregate.Facts) ([]stores.ProductEvent, error) {
	_, storeFound := aggregate.State[stores.Store](facts, topics.Stores.Table.Name, c.StoreID)
	return aggregate.Emit[stores.ProductEvent](&stores.ProductAdded{StoreID: c.StoreID, Name: c.Name, Description: c.Description, SKU: c.SKU, PriceCents: c.PriceCents, Category: c.Category},
		aggregate.When(aggregate.Blank(c.Name), ErrProductNameBlank),
		aggregate.When(c.PriceCents < 0, ErrProductPriceNegative),
		aggregate.When(c.PriceCents > limits.MaxPriceCents, ErrProductPriceTooLarge),
		aggregate.When(!storeFound, ErrStoreNotFound))
}

func changeProduct(p *stores.Product, cmd stores.ProductCommand, _ aggregate.Facts) ([]stores.ProductEvent, error) {
	if p.Removed {
		return nil, ErrProductRemoved
	}
	switch c := cmd.(type) {
	case *stores.RebrandProduct:
		return aggregate.Emit[stores.ProductEvent](&stores.ProductRebranded{Name: c.Name, Description: c.Description},
			aggregate.When(aggregate.Blank(c.Name), ErrProductNameBlank))
	case *stores.IncreaseProductPrice:
		return aggregate.Emit[stores.ProductEvent](&stores.ProductPriceIncreased{DeltaCents: c.PriceCents - p.PriceCents, PriceCents: c.PriceCents},
			aggregate.When(c.PriceCents < p.PriceCents, ErrPriceDecrease),
			aggregate.When(c.PriceCents > limits.MaxPriceCents, ErrProductPriceTooLarge))
	case *stores.DecreaseProductPrice:
		return aggregate.Emit[stores.ProductEvent](&stores.ProductPriceDecreased{DeltaCents: p.PriceCents - c.PriceCents, PriceCents: c.PriceCents},
			aggregate.When(c.PriceCents > p.PriceCents, ErrPriceIncrease),
			aggregate.When(c.PriceCents < 0, ErrProductPriceNegative),
			// only a price set before the limit can be above it
			aggregate.When(c.PriceCents > limits.MaxPriceCents, ErrProductPriceTooLarge))
	case *stores.RemoveProduct:
		return aggregate.One[stores.ProductEvent](&stores.ProductRemoved{}), nil
	}
	return nil, fmt.Errorf("the product aggregate does not handle %T", cmd)
}

func evolveProduct(p stores.Product, ev stores.ProductEvent) (stores.Product, error) {
	switch e := ev.(type) {
	case *stores.ProductAdded:
		return stores.Product{ID: e.AggregateID, StoreID: e.StoreID, Name: e.Name, Description: e.Description, SKU: e.SKU, PriceCents: e.PriceCents, Category: e.Category}, nil
	case *stores.ProductRebranded:
		p.Name, p.Description = e.Name, e.Description
	case *stores.ProductPriceIncreased:
		p.PriceCents = e.PriceCents
	case *stores.ProductPriceDecreased:
		p.PriceCents = e.PriceCents
	case *stores.ProductRemoved:
		p.Removed = true
	default:
		return p, fmt.Errorf("the product aggregate cannot apply %T", ev)
	}
	return p, nil
}
