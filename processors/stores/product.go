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
	ErrProductNameBlank     = aggregate.Reject(aggregate.Invalid, "product_name_blank", "the product name cannot be blank")
	ErrProductPriceNegative = limits.ErrPriceNegative
	ErrProductNotFound      = aggregate.Reject(aggregate.NotFound, "product_not_found", "the product does not exist")
	ErrProductRemoved       = aggregate.Reject(aggregate.Invalid, "product_removed", "the product has been removed")
	ErrPriceDecrease        = aggregate.Reject(aggregate.Invalid, "price_change_is_decrease", "the price change would be a decrease")
	ErrPriceIncrease        = aggregate.Reject(aggregate.Invalid, "price_change_is_increase", "the price change would be an increase")
	// ErrProductPriceTooLarge refuses a price above limits.MaxPriceCents
	// (1,000,000.00), whichever command sets it (the original spec was
	// silent; a price past it let a basket's total wrap, issue 20,
	// docs/adr/0014; docs/domain.md lists the limits).
	ErrProductPriceTooLarge = limits.ErrPriceTooLarge
	// ErrProductExists refuses a second AddProduct with an id already used.
	ErrProductExists = aggregate.Reject(aggregate.Invalid, "product_exists", "the product already exists")
)

// ProductRules are the Product aggregate's rules. AddProduct sees its store
// through the stores table (event-carried state, read with goka Lookup).
var ProductRules = aggregate.Rules[stores.Product, stores.ProductCommand, stores.ProductEvent]{
	Type:   "product",
	Needs:  productNeeds,
	Decide: decideProduct,
	Evolve: evolveProduct,
}

func productNeeds(cmd stores.ProductCommand, _ aggregate.Facts) []aggregate.Ref {
	if c, ok := cmd.(*stores.AddProduct); ok && !blank(c.StoreID) {
		return []aggregate.Ref{{Table: topics.Stores.Table.Name, Key: c.StoreID}}
	}
	return nil
}

func decideProduct(p *stores.Product, cmd stores.ProductCommand, facts aggregate.Facts) ([]stores.ProductEvent, error) {
	if c, ok := cmd.(*stores.AddProduct); ok {
		switch {
		case p != nil:
			return nil, ErrProductExists
		case blank(c.Name):
			return nil, ErrProductNameBlank
		case c.PriceCents < 0:
			return nil, ErrProductPriceNegative
		case c.PriceCents > limits.MaxPriceCents:
			return nil, ErrProductPriceTooLarge
		}
		if _, ok := aggregate.State[stores.Store](facts, topics.Stores.Table.Name, c.StoreID); !ok {
			return nil, ErrStoreNotFound
		}
		return one[stores.ProductEvent](&stores.ProductAdded{StoreID: c.StoreID, Name: c.Name, Description: c.Description, SKU: c.SKU, PriceCents: c.PriceCents, Category: c.Category}), nil
	}
	switch {
	case p == nil:
		return nil, ErrProductNotFound
	case p.Removed:
		return nil, ErrProductRemoved
	}
	switch c := cmd.(type) {
	case *stores.RebrandProduct:
		if blank(c.Name) {
			return nil, ErrProductNameBlank
		}
		return one[stores.ProductEvent](&stores.ProductRebranded{Name: c.Name, Description: c.Description}), nil
	case *stores.IncreaseProductPrice:
		switch {
		case c.PriceCents < p.PriceCents:
			return nil, ErrPriceDecrease
		case c.PriceCents > limits.MaxPriceCents:
			return nil, ErrProductPriceTooLarge
		}
		return one[stores.ProductEvent](&stores.ProductPriceIncreased{DeltaCents: c.PriceCents - p.PriceCents, PriceCents: c.PriceCents}), nil
	case *stores.DecreaseProductPrice:
		switch {
		case c.PriceCents > p.PriceCents:
			return nil, ErrPriceIncrease
		case c.PriceCents < 0:
			return nil, ErrProductPriceNegative
		case c.PriceCents > limits.MaxPriceCents:
			// only a price set before the limit can be above it
			return nil, ErrProductPriceTooLarge
		}
		return one[stores.ProductEvent](&stores.ProductPriceDecreased{DeltaCents: p.PriceCents - c.PriceCents, PriceCents: c.PriceCents}), nil
	case *stores.RemoveProduct:
		return one[stores.ProductEvent](&stores.ProductRemoved{}), nil
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
