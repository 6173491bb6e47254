package analytics

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mallbots/mallbots/schemas/baskets"
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
func latest(h *History, p Params, aggregate string) (map[string][]Event, error) {
	at, err := instant(p)
	if err != nil {
		return nil, err
	}
	by := map[string][]Event{}
	for _, e := range h.Until(at) {
		if e.Aggregate == aggregate {
			id := e.Meta().AggregateID
			by[id] = append(by[id], e)
		}
	}
	for _, evs := range by {
		slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.Meta().AggregateVersion, b.Meta().AggregateVersion) })
	}
	return by, nil
}

// version is the aggregate version of the last of an aggregate's events.
func version(evs []Event) uint64 { return uint64(evs[len(evs)-1].Meta().AggregateVersion) }

// rowsAt returns one row per aggregate of the type, in id order: row's
// fold of the aggregate's events up to the instant.
func rowsAt(h *History, p Params, aggregate string, row func(id string, evs []Event) []any) (Result, error) {
	by, err := latest(h, p, aggregate)
	if err != nil {
		return nil, err
	}
	var out Result
	for _, id := range slices.Sorted(maps.Keys(by)) {
		out = append(out, row(id, by[id]))
	}
	return out, nil
}

func ordersByStatusAt(h *History, p Params) (Result, error) {
	by, err := latest(h, p, "order")
	if err != nil {
		return nil, err
	}
	count := map[string]int64{}
	for _, evs := range by {
		// The status is the last event's milestone, named as the query's
		// transform names it: created is pending, no milestone unknown.
		switch status := milestone(evs[len(evs)-1].Event); status {
		case "created":
			count["pending"]++
		case "":
			count["unknown"]++
		default:
			count[status]++
		}
	}
	var out Result
	for _, s := range slices.Sorted(maps.Keys(count)) {
		out = append(out, []any{s, uint64(count[s])})
	}
	return out, nil
}

func storesAt(h *History, p Params) (Result, error) { return rowsAt(h, p, "store", storeAt) }

func storeAt(id string, evs []Event) []any {
	var name, location string
	var participating uint8
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
	return []any{id, version(evs), name, location, participating}
}

func productPricesAt(h *History, p Params) (Result, error) {
	return rowsAt(h, p, "product", productPriceAt)
}

func productPriceAt(id string, evs []Event) []any {
	var name string
	var cents int64
	var removed uint8
	for _, e := range evs {
		if c, ok := priceSet(e.Event); ok {
			cents = c
		}
		switch ev := e.Event.(type) {
		case *stores.ProductAdded:
			name = ev.Name
		case *stores.ProductRebranded:
			name = ev.Name
		case *stores.ProductRemoved:
			removed = 1
		}
	}
	return []any{id, version(evs), name, money(cents), removed}
}

func basketAt(h *History, p Params) (Result, error) {
	id, err := stringParam(p, "basket_id")
	if err != nil {
		return nil, err
	}
	by, err := latest(h, p, "basket")
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
	by, err := latest(h, p, typ)
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
	return Result{{typ, id, version(evs), types, payloads}}, nil
}
