package analytics

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mallbots/mallbots/schemas"
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
	"broken_chain_links":        brokenChainLinks,
	"product_price_changes":     productPriceChanges,
}

// emptyOnAnHonestLog are the queries that list what is wrong with the
// log, and so return no rows on an honest one.
var emptyOnAnHonestLog = map[string]bool{"broken_chain_links": true}

// EmptyOnAnHonestLog tells whether the cookbook query name answers an
// honest log with no rows (it lists faults: broken_chain_links). A run
// that wants every query to compare something, over a log nobody tampered
// with, expects rows from all the others.
func EmptyOnAnHonestLog(name string) bool { return emptyOnAnHonestLog[name] }

// Figures names every query the package can compute.
func Figures() []string {
	return slices.Sorted(maps.Keys(figures))
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
	id      string
	lines   []ordering.OrderItem
	reached map[string]time.Time // milestone → when it first happened
	reason  string               // why it was rejected, if it was
}

// has reports whether the order reached the milestone.
func (o *order) has(milestone string) bool {
	_, ok := o.reached[milestone]
	return ok
}

// milestone names the step of an order's life that an order event
// records, or returns "" for any other event.
func milestone(e schemas.Event) string {
	switch e.(type) {
	case *ordering.OrderCreated:
		return "created"
	case *ordering.OrderApproved:
		return "approved"
	case *ordering.OrderReadied:
		return "ready"
	case *ordering.OrderCompleted:
		return "completed"
	case *ordering.OrderRejected:
		return "rejected"
	case *ordering.OrderCanceled:
		return "canceled"
	}
	return ""
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
		switch ev := oe.(type) {
		case *ordering.OrderCreated:
			o.lines = ev.Items
		case *ordering.OrderRejected:
			o.reason = ev.Reason
		}
		ms := milestone(oe)
		if at, seen := o.reached[ms]; !seen || m.OccurredAt.Before(at) {
			o.reached[ms] = m.OccurredAt
		}
	}
	return out
}

func money(cents int64) decimal.Decimal { return decimal.New(cents, -2) }

// lineSums are the totals of the completed orders' lines that share a key.
type lineSums struct {
	orders        map[string]bool // the distinct order ids
	units, amount int64
}

// completedLines sums the lines of the completed orders by key, which
// gets the day the order completed and the line.
func completedLines[K comparable](h *History, key func(completed Day, l ordering.OrderItem) K) map[K]*lineSums {
	by := map[K]*lineSums{}
	for _, o := range orders(h) {
		done, ok := o.reached["completed"]
		if !ok {
			continue
		}
		for _, l := range o.lines {
			k := key(dayOf(done), l)
			s := by[k]
			if s == nil {
				s = &lineSums{orders: map[string]bool{}}
				by[k] = s
			}
			s.orders[o.id] = true
			s.units += int64(l.Quantity)
			s.amount += l.PriceCents * int64(l.Quantity)
		}
	}
	return by
}

func salesByStoreAndDay(h *History, _ Params) (Result, error) {
	type key struct {
		day         Day
		store, name string
	}
	by := completedLines(h, func(day Day, l ordering.OrderItem) key { return key{day, l.StoreID, l.StoreName} })
	keys := slices.SortedFunc(maps.Keys(by), func(a, b key) int {
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
	by := completedLines(h, func(_ Day, l ordering.OrderItem) key { return key{l.ProductID, l.ProductName, l.StoreName} })
	keys := slices.SortedFunc(maps.Keys(by), func(a, b key) int {
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
		if o, ok := ords[id]; ok && o.has("completed") {
			completed++
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
	transitions := []struct{ name, from, to string }{
		{"created → approved", "created", "approved"},
		{"approved → ready", "approved", "ready"},
		{"ready → completed", "ready", "completed"},
		{"created → completed", "created", "completed"},
	}
	ms := make([][]int64, len(transitions))
	for _, o := range orders(h) {
		if !o.has("created") {
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
		if o.has("rejected") {
			by[o.reason]++
			total++
		}
	}
	reasons := slices.SortedFunc(maps.Keys(by), func(a, b string) int { return cmp.Or(cmp.Compare(by[b], by[a]), cmp.Compare(a, b)) })
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
	type sums struct {
		sent      int64
		customers map[string]bool
	}
	by := map[key]*sums{}
	for _, n := range h.Notifications {
		k := key{dayOf(n.SentAt), n.Kind}
		s := by[k]
		if s == nil {
			s = &sums{customers: map[string]bool{}}
			by[k] = s
		}
		s.sent++
		s.customers[n.CustomerID] = true
	}
	keys := slices.SortedFunc(maps.Keys(by), func(a, b key) int { return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.kind, b.kind)) })
	var out Result
	for _, k := range keys {
		out = append(out, []any{k.day, k.kind, uint64(by[k].sent), uint64(len(by[k].customers))})
	}
	return out, nil
}
