package analytics

import (
	"cmp"
	"slices"

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
		var cents int64
		switch ev := e.Event.(type) {
		case *stores.ProductAdded:
			cents = ev.PriceCents
		case *stores.ProductPriceIncreased:
			cents = ev.PriceCents
		case *stores.ProductPriceDecreased:
			cents = ev.PriceCents
		default:
			continue
		}
		m := e.Meta()
		out = append(out, []any{uint64(m.AggregateVersion), m.OccurredAt, e.Type, money(cents), m.IssuedBy, m.IssuerRole})
	}
	return out, nil
}
