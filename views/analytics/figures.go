package analytics

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/ordering"
)

// Result is a query's rows, each a list of cells (see Normalize for the
// types a cell may have).
type Result [][]any

// Day is a calendar day, as a ClickHouse Date prints: 2006-01-02.
type Day string

func dayOf(t time.Time) Day { return Day(t.UTC().Format(time.DateOnly)) }

// figure computes one cookbook query's result from a history, in Go,
// without ClickHouse: the independent side of the comparison.
type figure func(h *History, p Params) (Result, error)

var figures = map[string]figure{
	"sales_by_store_and_day":    salesByStoreAndDay,
	"top_products":              topProducts,
	"basket_funnel":             basketFunnel,
	"order_lifecycle_durations": orderLifecycleDurations,
	"saga_rejection_reasons":    sagaRejectionReasons,
	"notification_volume":       notificationVolume,
	"orders_by_status_at":       ordersByStatusAt,
	"stores_at":                 storesAt,
	"product_prices_at":         productPricesAt,
	"basket_at":                 basketAt,
	"aggregate_history":         aggregateHistory,
}

// Figures names every query the package can compute.
func Figures() []string {
	names := make([]string, 0, len(figures))
	for n := range figures {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Expected computes the cookbook query name's result from h.
func Expected(name string, h *History, p Params) (Result, error) {
	f, ok := figures[name]
	if !ok {
		return nil, fmt.Errorf("analytics: no Go figure for the cookbook query %q: add one to views/analytics/figures.go", name)
	}
	return f(h, p)
}

// order is what the order events say about one order.
type order struct {
	id       string
	lines    []ordering.OrderItem
	reached  map[string]time.Time // milestone → when it first happened
	reason   string
	rejected bool
}

// orders folds the order events, keyed by order id.
func orders(h *History) map[string]*order {
	out := map[string]*order{}
	for _, e := range h.Events {
		oe, ok := e.Event.(ordering.OrderEvent)
		if !ok {
			continue
		}
		m := oe.EventMetadata()
		o := out[m.AggregateID]
		if o == nil {
			o = &order{id: m.AggregateID, reached: map[string]time.Time{}}
			out[m.AggregateID] = o
		}
		var milestone string
		switch ev := oe.(type) {
		case *ordering.OrderCreated:
			milestone, o.lines = "created", ev.Items
		case *ordering.OrderApproved:
			milestone = "approved"
		case *ordering.OrderReadied:
			milestone = "ready"
		case *ordering.OrderCompleted:
			milestone = "completed"
		case *ordering.OrderRejected:
			milestone, o.reason, o.rejected = "rejected", ev.Reason, true
		case *ordering.OrderCanceled:
			milestone = "canceled"
		}
		if at, seen := o.reached[milestone]; !seen || m.OccurredAt.Before(at) {
			o.reached[milestone] = m.OccurredAt
		}
	}
	return out
}

func money(cents int64) decimal.Decimal { return decimal.New(cents, -2) }

func salesByStoreAndDay(h *History, _ Params) (Result, error) {
	type key struct {
		day         Day
		store, name string
	}
	type sums struct {
		orders        map[string]bool
		units, amount int64
	}
	by := map[key]*sums{}
	for _, o := range orders(h) {
		done, ok := o.reached["completed"]
		if !ok {
			continue
		}
		for _, l := range o.lines {
			k := key{dayOf(done), l.StoreID, l.StoreName}
			if by[k] == nil {
				by[k] = &sums{orders: map[string]bool{}}
			}
			by[k].orders[o.id] = true
			by[k].units += int64(l.Quantity)
			by[k].amount += l.PriceCents * int64(l.Quantity)
		}
	}
	keys := make([]key, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(by[b].amount, by[a].amount),
			cmp.Compare(a.store, b.store), cmp.Compare(a.name, b.name))
	})
	var out Result
	for _, k := range keys {
		s := by[k]
		out = append(out, []any{k.day, k.store, k.name, uint64(len(s.orders)), uint64(s.units), money(s.amount)})
	}
	return out, nil
}

func topProducts(h *History, _ Params) (Result, error) {
	type key struct{ product, name, store string }
	type sums struct {
		orders        map[string]bool
		units, amount int64
	}
	by := map[key]*sums{}
	for _, o := range orders(h) {
		if _, ok := o.reached["completed"]; !ok {
			continue
		}
		for _, l := range o.lines {
			k := key{l.ProductID, l.ProductName, l.StoreName}
			if by[k] == nil {
				by[k] = &sums{orders: map[string]bool{}}
			}
			by[k].orders[o.id] = true
			by[k].units += int64(l.Quantity)
			by[k].amount += l.PriceCents * int64(l.Quantity)
		}
	}
	keys := make([]key, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(by[b].units, by[a].units), cmp.Compare(by[b].amount, by[a].amount),
			cmp.Compare(a.product, b.product), cmp.Compare(a.name, b.name), cmp.Compare(a.store, b.store))
	})
	var out Result
	for _, k := range keys[:min(len(keys), 10)] {
		s := by[k]
		out = append(out, []any{k.product, k.name, k.store, uint64(s.units), money(s.amount), uint64(len(s.orders))})
	}
	return out, nil
}

func basketFunnel(h *History, _ Params) (Result, error) {
	type basket struct{ started, items, checkedOut, canceled bool }
	by := map[string]*basket{}
	for _, e := range h.Events {
		be, ok := e.Event.(baskets.BasketEvent)
		if !ok {
			continue
		}
		id := be.EventMetadata().AggregateID
		if by[id] == nil {
			by[id] = &basket{}
		}
		switch be.(type) {
		case *baskets.BasketStarted:
			by[id].started = true
		case *baskets.BasketItemAdded:
			by[id].items = true
		case *baskets.BasketCheckedOut:
			by[id].checkedOut = true
		case *baskets.BasketCanceled:
			by[id].canceled = true
		}
	}
	ords := orders(h)
	var started, items, checkedOut, completed, canceled, open int64
	for id, b := range by {
		if !b.started {
			continue
		}
		started++
		if b.items {
			items++
		}
		if b.checkedOut {
			checkedOut++
		}
		if o, ok := ords[id]; ok {
			if _, done := o.reached["completed"]; done {
				completed++
			}
		}
		if b.canceled {
			canceled++
		}
		if !b.checkedOut && !b.canceled {
			open++
		}
	}
	abandoned := started - checkedOut
	return Result{{started, items, checkedOut, completed, canceled, open, abandoned,
		100 * float64(abandoned) / float64(started)}}, nil
}

// quantileExact is ClickHouse's: the element at position ⌊level × n⌋ of
// the sorted values.
func quantileExact(sorted []int64, level float64) int64 {
	i := int(level * float64(len(sorted)))
	return sorted[min(i, len(sorted)-1)]
}

func orderLifecycleDurations(h *History, _ Params) (Result, error) {
	transitions := []struct{ name, from, to, needs string }{
		{"created → approved", "created", "approved", ""},
		{"approved → ready", "approved", "ready", ""},
		{"ready → completed", "ready", "completed", ""},
		{"created → completed", "created", "completed", ""},
	}
	ms := make([][]int64, len(transitions))
	for _, o := range orders(h) {
		if _, ok := o.reached["created"]; !ok {
			continue
		}
		for i, t := range transitions {
			from, okFrom := o.reached[t.from]
			to, okTo := o.reached[t.to]
			if okFrom && okTo {
				ms[i] = append(ms[i], to.UnixMilli()-from.UnixMilli())
			}
		}
	}
	var out Result
	for i, t := range transitions {
		d := ms[i]
		if len(d) == 0 {
			continue
		}
		slices.Sort(d)
		var sum int64
		for _, v := range d {
			sum += v
		}
		out = append(out, []any{t.name, uint64(len(d)), d[0], quantileExact(d, 0.5), quantileExact(d, 0.9), d[len(d)-1],
			float64(sum) / float64(len(d))})
	}
	return out, nil
}

func sagaRejectionReasons(h *History, _ Params) (Result, error) {
	by := map[string]int64{}
	var total int64
	for _, o := range orders(h) {
		if o.rejected {
			by[o.reason]++
			total++
		}
	}
	reasons := make([]string, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int { return cmp.Or(cmp.Compare(by[b], by[a]), cmp.Compare(a, b)) })
	var out Result
	for _, r := range reasons {
		out = append(out, []any{r, uint64(by[r]), 100 * float64(by[r]) / float64(total)})
	}
	return out, nil
}

func notificationVolume(h *History, _ Params) (Result, error) {
	type key struct {
		day  Day
		kind string
	}
	count := map[key]int64{}
	customers := map[key]map[string]bool{}
	for _, n := range h.Notifications {
		k := key{dayOf(n.SentAt), n.Kind}
		count[k]++
		if customers[k] == nil {
			customers[k] = map[string]bool{}
		}
		customers[k][n.CustomerID] = true
	}
	keys := make([]key, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.kind, b.kind)) })
	var out Result
	for _, k := range keys {
		out = append(out, []any{k.day, k.kind, uint64(count[k]), uint64(len(customers[k]))})
	}
	return out, nil
}
