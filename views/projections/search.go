package projections

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// OrderSearchTable is the order search read model (views/search reads it).
var OrderSearchTable = warehouse.OrderSearchTable

// Search projects every order snapshot of the orders state table into
// mallbots.order_search, one row per snapshot version; the table keeps the
// highest version per order. It has its own consumer group so that search
// can be rebuilt or lag without holding the other current-state tables
// back. The customer's name is not in the row: customers cannot be renamed,
// so the search reads it from mallbots.customers by id (docs/adr/0009).
func Search(sd *serde.Serde) warehouse.Projection {
	row := rowOf(OrderSearchRow)
	return warehouse.Projection{
		Name:   "search",
		Group:  topics.ProjectorSearch,
		Topics: []string{topics.Orders.Table.Name},
		Tables: []warehouse.Table{OrderSearchTable},
		Map: func(rec *kgo.Record) ([]warehouse.Row, error) {
			if rec.Value == nil {
				return nil, nil // a tombstone: nothing deletes orders
			}
			values, err := row(sd, serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}, rec.Value)
			if err != nil || values == nil {
				return nil, err // no values: only rejections recorded so far, no order yet
			}
			return []warehouse.Row{{Table: OrderSearchTable.Name, Values: values}}, nil
		},
	}
}

// OrderSearchRow is the order_search row of one order snapshot's head, in
// OrderSearchTable's column order.
func OrderSearchRow(s *schemas.Head[ordering.Order]) []any {
	o := s.State
	n := len(o.Items)
	productIDs, productNames := make([]string, n), make([]string, n)
	storeIDs, storeNames := make([]string, n), make([]string, n)
	prices, quantities := make([]decimal.Decimal, n), make([]uint32, n)
	for i, it := range o.Items {
		productIDs[i], productNames[i] = it.ProductID, it.ProductName
		storeIDs[i], storeNames[i] = it.StoreID, it.StoreName
		prices[i], quantities[i] = Money(it.PriceCents), uint32(max(it.Quantity, 0))
	}
	created, createdMs := Instant(o.CreatedAt)
	updated, updatedMs := Instant(s.UpdatedAt)
	stores, products := distinct(storeIDs), distinct(productIDs)
	return []any{
		s.AggregateID, o.CustomerID, warehouse.SearchKey(o.CustomerID),
		stores, warehouse.SearchKeys(stores), products, warehouse.SearchKeys(products),
		productIDs, productNames, storeIDs, storeNames, prices, quantities,
		Money(o.TotalCents), o.Status, created, createdMs, updated, updatedMs, uint64(s.Version),
	}
}

// Instant is a DateTime column and its exact Unix-millisecond twin. An
// unknown time (Go's zero time, or an instant before 1970, which a
// DateTime cannot hold) is the Unix epoch and 0.
func Instant(t time.Time) (time.Time, uint64) {
	ms := t.UnixMilli()
	if ms <= 0 {
		return time.Unix(0, 0).UTC(), 0
	}
	return Seconds(t), uint64(ms)
}

// distinct returns the sorted distinct values (never nil: an empty array).
func distinct(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
