package analytics

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/stores"
)

// The figures of the cookbook's "any aggregate at any instant" queries:
// folds of each aggregate's events up to the instant, in version order.

// instant is the run's "instant" parameter.
func instant(p Params) (time.Time, error) {
	t, ok := p["instant"].(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("parameter instant needs a time.Time, got %T", p["instant"])
	}
	return t, nil
}

func stringParam(p Params, name string) (string, error) {
	s, ok := p[name].(string)
	if !ok {
		return "", fmt.Errorf("parameter %s needs a string, got %T", name, p[name])
	}
	return s, nil
}

// latest groups the events up to the instant by aggregate id, for one
// aggregate type, each aggregate's events in version order.
func latest(h *History, p Params, aggregate string) (map[string][]Event, []string, error) {
	at, err := instant(p)
	if err != nil {
		return nil, nil, err
	}
	by := map[string][]Event{}
	for _, e := range h.Until(at) {
		if e.Aggregate == aggregate {
			id := e.Meta().AggregateID
			by[id] = append(by[id], e)
		}
	}
	ids := make([]string, 0, len(by))
	for id, evs := range by {
		slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.Meta().AggregateVersion, b.Meta().AggregateVersion) })
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return by, ids, nil
}

func ordersByStatusAt(h *History, p Params) (Result, error) {
	by, ids, err := latest(h, p, "order")
	if err != nil {
		return nil, err
	}
	count := map[string]int64{}
	for _, id := range ids {
		evs := by[id]
		status := "unknown"
		switch evs[len(evs)-1].Event.(type) {
		case *ordering.OrderCreated:
			status = "pending"
		case *ordering.OrderApproved:
			status = "approved"
		case *ordering.OrderReadied:
			status = "ready"
		case *ordering.OrderCompleted:
			status = "completed"
		case *ordering.OrderRejected:
			status = "rejected"
		case *ordering.OrderCanceled:
			status = "canceled"
		}
		count[status]++
	}
	statuses := make([]string, 0, len(count))
	for s := range count {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	var out Result
	for _, s := range statuses {
		out = append(out, []any{s, uint64(count[s])})
	}
	return out, nil
}

func storesAt(h *History, p Params) (Result, error) {
	by, ids, err := latest(h, p, "store")
	if err != nil {
		return nil, err
	}
	var out Result
	for _, id := range ids {
		var name, location string
		var participating uint8
		evs := by[id]
		for _, e := range evs {
			switch ev := e.Event.(type) {
			case *stores.StoreCreated:
				name, location = ev.Name, ev.Location
			case *stores.StoreRebranded:
				name = ev.Name
			case *stores.StoreParticipationEnabled:
				participating = 1
			case *stores.StoreParticipationDisabled:
				participating = 0
			}
		}
		out = append(out, []any{id, uint64(evs[len(evs)-1].Meta().AggregateVersion), name, location, participating})
	}
	return out, nil
}

func productPricesAt(h *History, p Params) (Result, error) {
	by, ids, err := latest(h, p, "product")
	if err != nil {
		return nil, err
	}
	var out Result
	for _, id := range ids {
		var name string
		var cents int64
		var removed uint8
		evs := by[id]
		for _, e := range evs {
			switch ev := e.Event.(type) {
			case *stores.ProductAdded:
				name, cents = ev.Name, ev.PriceCents
			case *stores.ProductRebranded:
				name = ev.Name
			case *stores.ProductPriceIncreased:
				cents = ev.PriceCents
			case *stores.ProductPriceDecreased:
				cents = ev.PriceCents
			case *stores.ProductRemoved:
				removed = 1
			}
		}
		out = append(out, []any{id, uint64(evs[len(evs)-1].Meta().AggregateVersion), name, money(cents), removed})
	}
	return out, nil
}

func basketAt(h *History, p Params) (Result, error) {
	id, err := stringParam(p, "basket_id")
	if err != nil {
		return nil, err
	}
	by, _, err := latest(h, p, "basket")
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	qty := map[string]int64{}
	for _, e := range by[id] {
		switch ev := e.Event.(type) {
		case *baskets.BasketItemAdded:
			names[ev.Item.ProductID] = ev.Item.ProductName
			qty[ev.Item.ProductID] += int64(ev.Item.Quantity)
		case *baskets.BasketItemRemoved:
			qty[ev.ProductID] -= int64(ev.Quantity)
		}
	}
	products := make([]string, 0, len(qty))
	for pid, q := range qty {
		if q > 0 {
			products = append(products, pid)
		}
	}
	slices.Sort(products)
	var out Result
	for _, pid := range products {
		out = append(out, []any{pid, names[pid], qty[pid]})
	}
	return out, nil
}

func aggregateHistory(h *History, p Params) (Result, error) {
	typ, err := stringParam(p, "type")
	if err != nil {
		return nil, err
	}
	id, err := stringParam(p, "id")
	if err != nil {
		return nil, err
	}
	by, _, err := latest(h, p, typ)
	if err != nil {
		return nil, err
	}
	evs := by[id]
	if len(evs) == 0 {
		return nil, nil
	}
	var types, payloads []string
	for _, e := range evs {
		pl, err := e.Payload()
		if err != nil {
			return nil, err
		}
		types = append(types, e.Type)
		payloads = append(payloads, pl)
	}
	return Result{{typ, id, uint64(evs[len(evs)-1].Meta().AggregateVersion), types, payloads}}, nil
}
