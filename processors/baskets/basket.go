// Package baskets runs the baskets context: the Basket aggregate.
// basket.go holds the pure rules (decide/evolve, no I/O); processor.go
// builds the goka group on processors/engine, which looks up the customers,
// products and stores tables for the rules (event-carried state transfer).
package baskets

import (
	"fmt"
	"maps"
	"math"
	"sort"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/limits"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// The basket's statuses: lower case, American spelling (docs/domain.md).
const (
	StatusOpen       = "open"
	StatusCanceled   = "canceled"
	StatusCheckedOut = "checked_out"
)

// Basket rejections, with the exact texts of docs/domain.md.
var (
	ErrCustomerIDBlank      = aggregate.ErrCustomerIDBlank
	ErrBasketCannotModify   = aggregate.CannotBe("basket", "modified")
	ErrCustomerNotFound     = aggregate.ErrCustomerNotFound
	ErrItemQuantityNegative = aggregate.Reject(aggregate.Invalid, "item_quantity_negative", "the item quantity cannot be negative")
	// ErrProductNotLocated answers an unknown or removed product (and a
	// product whose store the stores table does not hold): the basket
	// cannot capture its names and price.
	ErrProductNotLocated  = aggregate.Reject(aggregate.NotFound, "product_not_located", "product fallback failed: product was not located")
	ErrBasketCannotCancel = aggregate.Reject(aggregate.Invalid, "basket_cannot_be_canceled", "the basket cannot be cancelled")
	ErrBasketHasNoItems   = aggregate.Reject(aggregate.Invalid, "basket_has_no_items", "the basket has no items")
	ErrPaymentIDBlank     = aggregate.ErrPaymentIDBlank
	// ErrBasketNotFound answers any command but StartBasket on an unknown
	// basket (the original spec left the text open; this one follows the
	// other aggregates' "the … does not exist", as docs/domain.md says).
	ErrBasketNotFound = aggregate.DoesNotExist("basket")
	// ErrItemQuantityTooLarge refuses an AddItem that would take a line past
	// limits.MaxLineQuantity (1,000 units), and a checkout of such a line
	// (a basket filled before the limit). docs/adr/0014; docs/domain.md, limits.
	ErrItemQuantityTooLarge = limits.ErrItemQuantityTooLarge
	// ErrBasketHasTooManyProducts refuses a new line past limits.MaxLines.
	ErrBasketHasTooManyProducts = aggregate.Reject(aggregate.Invalid, "basket_has_too_many_products",
		"the basket cannot hold more than "+limits.Count(limits.MaxLines)+" different products")
	// ErrBasketTotalTooLarge refuses an AddItem that would take the total
	// past limits.MaxTotalCents (10,000,000.00), and a checkout past it.
	ErrBasketTotalTooLarge = aggregate.CannotExceed("basket total", limits.Amount(limits.MaxTotalCents))
	// ErrProductPriceTooLarge and ErrProductPriceNegative refuse a product
	// whose price in the products table is outside the stores context's
	// limits (set before them, or by a producer that bypassed the rules):
	// the basket re-checks what it captures.
	ErrProductPriceTooLarge = limits.ErrPriceTooLarge
	ErrProductPriceNegative = limits.ErrPriceNegative
)

// BasketRules are the Basket aggregate's rules. StartBasket sees the
// customer through the customers table; AddItem sees the product through
// the products table and then the product's store through the stores
// table, and captures their names and the price on the line.
var BasketRules = aggregate.Rules[baskets.Basket, baskets.BasketCommand, baskets.BasketEvent]{
	Type:   topics.Baskets.Type,
	Needs:  basketNeeds,
	Decide: decideBasket,
	Evolve: evolveBasket,
}

func basketNeeds(cmd baskets.BasketCommand, facts aggregate.Facts) []aggregate.Ref {
	switch c := cmd.(type) {
	case *baskets.StartBasket:
		if !aggregate.Blank(c.CustomerID) {
			return []aggregate.Ref{{Table: topics.Customers.Table.Name, Key: c.CustomerID}}
		}
	case *baskets.AddItem:
		if aggregate.Blank(c.ProductID) {
			return nil
		}
		refs := []aggregate.Ref{{Table: topics.Products.Table.Name, Key: c.ProductID}}
		if p, ok := aggregate.State[stores.Product](facts, topics.Products.Table.Name, c.ProductID); ok && !aggregate.Blank(p.StoreID) {
			refs = append(refs, aggregate.Ref{Table: topics.Stores.Table.Name, Key: p.StoreID})
		}
		return refs
	}
	return nil
}

func decideBasket(b *baskets.Basket, cmd baskets.BasketCommand, facts aggregate.Facts) ([]baskets.BasketEvent, error) {
	if c, ok := cmd.(*baskets.StartBasket); ok {
		return startBasket(b, c, facts)
	}
	if b == nil {
		return nil, ErrBasketNotFound
	}
	switch c := cmd.(type) {
	case *baskets.AddItem:
		return addItem(b, c, facts)
	case *baskets.RemoveItem:
		return removeItem(b, c)
	case *baskets.CancelBasket:
		return aggregate.Emit[baskets.BasketEvent](&baskets.BasketCanceled{}, aggregate.When(b.Status != StatusOpen, ErrBasketCannotCancel))
	case *baskets.CheckoutBasket:
		return checkout(b, c)
	}
	return nil, fmt.Errorf("the basket aggregate does not handle %T", cmd)
}

func startBasket(b *baskets.Basket, c *baskets.StartBasket, facts aggregate.Facts) ([]baskets.BasketEvent, error) {
	_, customerFound := aggregate.State[customers.Customer](facts, topics.Customers.Table.Name, c.CustomerID)
	return aggregate.Emit[baskets.BasketEvent](&baskets.BasketStarted{CustomerID: c.CustomerID},
		aggregate.When(aggregate.Blank(c.CustomerID), ErrCustomerIDBlank),
		aggregate.When(b != nil, ErrBasketCannotModify),
		aggregate.When(!customerFound, ErrCustomerNotFound))
}

// addItem adds to a line. A product already in the basket keeps the names
// and price captured when it was first added; the event carries that line
// with the quantity added. Adding zero of a known product changes nothing.
// What is added must keep the line, the number of lines and the total
// within the limits (docs/adr/0014).
func addItem(b *baskets.Basket, c *baskets.AddItem, facts aggregate.Facts) ([]baskets.BasketEvent, error) {
	if err := modifiable(b, c.Quantity); err != nil {
		return nil, err
	}
	line, inBasket := b.Items[c.ProductID]
	if !inBasket {
		var err error
		if line, err = locate(c.ProductID, facts); err != nil {
			return nil, err
		}
	} else if _, err := locate(c.ProductID, facts); err != nil {
		return nil, err // removed since it was first added
	}
	if c.Quantity == 0 {
		return nil, nil
	}
	if err := limits.CheckPrice(line.PriceCents); err != nil {
		return nil, err
	}
	var held int64
	if inBasket {
		held = int64(line.Quantity)
	}
	switch {
	case held+int64(c.Quantity) > int64(limits.MaxLineQuantity):
		return nil, ErrItemQuantityTooLarge
	case !inBasket && len(b.Items) >= limits.MaxLines:
		return nil, ErrBasketHasTooManyProducts
	}
	total, ok := Sum(Lines(b))
	if ok {
		var more int64
		more, ok = limits.LineTotal(line.PriceCents, c.Quantity)
		if ok {
			total, ok = limits.Add(total, more)
		}
	}
	if !ok || total > limits.MaxTotalCents {
		return nil, ErrBasketTotalTooLarge
	}
	line.Quantity = c.Quantity
	return aggregate.One[baskets.BasketEvent](&baskets.BasketItemAdded{Item: line}), nil
}

// modifiable refuses a change of the lines of a basket no longer open, or
// by a negative quantity (AddItem and RemoveItem alike).
func modifiable(b *baskets.Basket, quantity int32) error {
	return aggregate.Refuse(
		aggregate.When(b.Status != StatusOpen, ErrBasketCannotModify),
		aggregate.When(quantity < 0, ErrItemQuantityNegative))
}

// locate builds a new line from the products and stores tables.
func locate(productID string, facts aggregate.Facts) (baskets.BasketItem, error) {
	p, ok := aggregate.State[stores.Product](facts, topics.Products.Table.Name, productID)
	if !ok || p.Removed {
		return baskets.BasketItem{}, ErrProductNotLocated
	}
	s, ok := aggregate.State[stores.Store](facts, topics.Stores.Table.Name, p.StoreID)
	if !ok {
		return baskets.BasketItem{}, ErrProductNotLocated
	}
	return baskets.BasketItem{ProductID: productID, StoreID: p.StoreID, StoreName: s.Name, ProductName: p.Name, PriceCents: p.PriceCents}, nil
}

// removeItem lowers a line's quantity; the event says how many actually
// went (never more than the line held), and the line goes at zero.
// Removing a product that is not in the basket, or zero of it, changes
// nothing.
func removeItem(b *baskets.Basket, c *baskets.RemoveItem) ([]baskets.BasketEvent, error) {
	if err := modifiable(b, c.Quantity); err != nil {
		return nil, err
	}
	line, ok := b.Items[c.ProductID]
	if !ok || c.Quantity == 0 {
		return nil, nil
	}
	return aggregate.One[baskets.BasketEvent](&baskets.BasketItemRemoved{ProductID: c.ProductID, Quantity: min(c.Quantity, line.Quantity)}), nil
}

func checkout(b *baskets.Basket, c *baskets.CheckoutBasket) ([]baskets.BasketEvent, error) {
	if err := aggregate.Refuse(
		aggregate.When(b.Status != StatusOpen, ErrBasketCannotModify),
		aggregate.When(len(b.Items) == 0, ErrBasketHasNoItems),
		aggregate.When(aggregate.Blank(c.PaymentID), ErrPaymentIDBlank),
	); err != nil {
		return nil, err
	}
	items := Lines(b)
	total, err := checkLines(items)
	if err != nil {
		return nil, err
	}
	return aggregate.One[baskets.BasketEvent](&baskets.BasketCheckedOut{
		CustomerID: b.CustomerID, PaymentID: c.PaymentID, Items: items, TotalCents: total,
	}), nil
}

// checkLines re-checks a whole basket against the limits before it becomes
// an order, and returns its total: AddItem keeps a basket within them, but
// a basket filled before they existed may not be.
func checkLines(items []baskets.BasketItem) (int64, error) {
	if len(items) > limits.MaxLines {
		return 0, ErrBasketHasTooManyProducts
	}
	for _, it := range items {
		if err := limits.CheckPrice(it.PriceCents); err != nil {
			return 0, err
		}
		if it.Quantity > limits.MaxLineQuantity {
			return 0, ErrItemQuantityTooLarge
		}
	}
	total, ok := Sum(items)
	if !ok || total > limits.MaxTotalCents {
		return 0, ErrBasketTotalTooLarge
	}
	return total, nil
}

// Lines returns a basket's lines in a stable order (by store name, product
// name, product id): events must not depend on map iteration.
func Lines(b *baskets.Basket) []baskets.BasketItem {
	items := make([]baskets.BasketItem, 0, len(b.Items))
	for _, it := range b.Items {
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool {
		a, c := items[i], items[j]
		if a.StoreName != c.StoreName {
			return a.StoreName < c.StoreName
		}
		if a.ProductName != c.ProductName {
			return a.ProductName < c.ProductName
		}
		return a.ProductID < c.ProductID
	})
	return items
}

// Sum is the sum of price × quantity over the lines, in cents, and false
// when a line or the sum leaves int64 (a basket past the limits).
func Sum(items []baskets.BasketItem) (int64, bool) {
	return limits.Sum(items, func(it baskets.BasketItem) (int64, int32) { return it.PriceCents, it.Quantity })
}

// Total is Sum for showing a basket: one whose sum leaves int64 (filled
// before the limits) shows math.MaxInt64, never a wrapped amount. The
// rules use Sum.
func Total(items []baskets.BasketItem) int64 {
	total, ok := Sum(items)
	if !ok {
		return math.MaxInt64
	}
	return total
}

// Units is the number of units over the lines (the sum of quantities).
func Units(items map[string]baskets.BasketItem) int64 {
	return limits.Units(maps.Values(items), func(it baskets.BasketItem) int32 { return it.Quantity })
}

func evolveBasket(b baskets.Basket, ev baskets.BasketEvent) (baskets.Basket, error) {
	switch e := ev.(type) {
	case *baskets.BasketStarted:
		return baskets.Basket{ID: e.AggregateID, CustomerID: e.CustomerID, Items: map[string]baskets.BasketItem{}, Status: StatusOpen}, nil
	case *baskets.BasketItemAdded:
		items := copyItems(b.Items)
		line, ok := items[e.Item.ProductID]
		if !ok {
			line = e.Item
		} else {
			line.Quantity += e.Item.Quantity
		}
		items[e.Item.ProductID] = line
		b.Items = items
	case *baskets.BasketItemRemoved:
		items := copyItems(b.Items)
		if line, ok := items[e.ProductID]; ok {
			line.Quantity -= e.Quantity
			if line.Quantity <= 0 {
				delete(items, e.ProductID)
			} else {
				items[e.ProductID] = line
			}
		}
		b.Items = items
	case *baskets.BasketCanceled:
		b.Status = StatusCanceled
	case *baskets.BasketCheckedOut:
		b.Status, b.PaymentID = StatusCheckedOut, e.PaymentID
	default:
		return b, fmt.Errorf("the basket aggregate cannot apply %T", ev)
	}
	return b, nil
}

// copyItems copies the lines: evolve never mutates the state it was given.
func copyItems(in map[string]baskets.BasketItem) map[string]baskets.BasketItem {
	out := make(map[string]baskets.BasketItem, len(in)+1)
	for k, v := range in {
		out[k] = v
	}
	return out
}
