package analytics

import (
	"cmp"
	"slices"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
)

// productPriceChanges is the figure of the cookbook's "who changed this
// product's price, and when" (docs/adr/0023): the product's events that set
// its price, in version order, each with its time, record name, the price
// it set and who issued the command behind it ("" for an event written
// before the who fields).
func productPriceChanges(h *History, p Params) (Result, error) {
	id, err := stringParam(p, "product_id")
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, e := range h.Events {
		if e.Aggregate == "product" && e.Meta().AggregateID == id {
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.Meta().AggregateVersion, b.Meta().AggregateVersion) })
	var out Result
	for _, e := range evs {
		cents, ok := priceSet(e.Event)
		if !ok {
			continue
		}
		m := e.Meta()
		out = append(out, []any{uint64(m.AggregateVersion), m.OccurredAt, e.Type, money(cents), m.IssuedBy, m.IssuerRole})
	}
	return out, nil
}

// priceSet is the price a product's event sets, and false for an event
// that leaves the price as it was.
func priceSet(ev schemas.Event) (int64, bool) {
	switch ev := ev.(type) {
	case *stores.ProductAdded:
		return ev.PriceCents, true
	case *stores.ProductPriceIncreased:
		return ev.PriceCents, true
	case *stores.ProductPriceDecreased:
		return ev.PriceCents, true
	}
	return 0, false
}
