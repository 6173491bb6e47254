package search

import (
	"cmp"
	"slices"
	"time"

	"github.com/mallbots/mallbots/schemas/ordering"
)

// The brute force: the search's answer computed in Go from what was
// produced, independently of any SQL.

// current folds an order's written versions: the highest version wins,
// as for any consumer that is idempotent by (id, version).
func (g *genOrder) current() (ordering.Order, genVersion) {
	best := g.writes[0]
	for _, w := range g.writes[1:] {
		if w.version > best.version {
			best = w
		}
	}
	o := g.final
	o.Status = best.status
	return o, best
}

// matches is Filter's meaning, spelled out in Go.
func matches(g *genOrder, f Filter) bool {
	o, _ := g.current()
	if f.CustomerID != "" && o.CustomerID != f.CustomerID {
		return false
	}
	if after, ok := boundMs(f.CreatedAfter); ok && (g.createdMs == 0 || g.createdMs < after) {
		return false
	}
	if before, ok := boundMs(f.CreatedBefore); ok && (g.createdMs == 0 || g.createdMs >= before) {
		return false
	}
	if len(f.StoreIDs) > 0 && !slices.ContainsFunc(o.Items, func(it ordering.OrderItem) bool { return slices.Contains(f.StoreIDs, it.StoreID) }) {
		return false
	}
	if len(f.ProductIDs) > 0 && !slices.ContainsFunc(o.Items, func(it ordering.OrderItem) bool { return slices.Contains(f.ProductIDs, it.ProductID) }) {
		return false
	}
	if f.MinTotal != nil && o.TotalCents < *f.MinTotal {
		return false
	}
	if f.MaxTotal != nil && o.TotalCents > *f.MaxTotal {
		return false
	}
	return f.Status == "" || o.Status == f.Status
}

// expected lists the orders that match f, newest first.
func (m *mall) expected(f Filter) []*genOrder {
	var out []*genOrder
	for i := range m.orders {
		if matches(&m.orders[i], f) {
			out = append(out, &m.orders[i])
		}
	}
	slices.SortFunc(out, func(a, b *genOrder) int {
		return cmp.Or(cmp.Compare(b.createdMs, a.createdMs), cmp.Compare(b.id, a.id))
	})
	return out
}

// want is the Order the search should return for g.
func (m *mall) want(g *genOrder) Order {
	o, v := g.current()
	w := Order{ID: g.id, CustomerID: o.CustomerID, CustomerName: m.customerName(o.CustomerID), TotalCents: o.TotalCents,
		Status: o.Status, UpdatedAt: v.updated.Truncate(time.Millisecond), Version: v.version}
	if g.createdMs > 0 {
		w.CreatedAt = time.UnixMilli(int64(g.createdMs)).UTC()
	}
	for _, it := range o.Items {
		w.Items = append(w.Items, Item{ProductID: it.ProductID, ProductName: it.ProductName, StoreID: it.StoreID,
			StoreName: it.StoreName, PriceCents: it.PriceCents, Quantity: it.Quantity})
	}
	return w
}

func (m *mall) customerName(id string) string {
	for _, c := range m.customers {
		if c.id == id {
			return c.name
		}
	}
	return ""
}
