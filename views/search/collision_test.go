package search

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
	"github.com/mallbots/mallbots/views/warehouse/warehousetest"
)

// Searches compare ids by their 64-bit keys. Two ids with one key are
// unlikely but possible; the search must still tell them apart. The
// collision is made by hand: the second order's rows carry the first
// order's keys.
func TestIDsThatShareAKeyAreToldApart(t *testing.T) {
	_, admin := warehousetest.Migrated(t)
	const (
		customerA, customerB = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
		storeA, storeB       = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1"
		productA, productB   = "00000000-0000-4000-8000-0000000000a2", "00000000-0000-4000-8000-0000000000b2"
		orderA, orderB       = "00000000-0000-4000-8000-0000000000a3", "00000000-0000-4000-8000-0000000000b3"
	)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(order, customer, store, product string, at time.Time) []any {
		return projections.OrderSearchRow(&schemas.Head[ordering.Order]{AggregateID: order, Version: 1, UpdatedAt: at, State: ordering.Order{
			ID: order, CustomerID: customer, Status: "pending", CreatedAt: at, TotalCents: 100,
			Items: []ordering.OrderItem{{ProductID: product, StoreID: store, StoreName: "S", ProductName: "P", PriceCents: 100, Quantity: 1}},
		}})
	}
	a := row(orderA, customerA, storeA, productA, created)
	b := row(orderB, customerB, storeB, productB, created.Add(time.Second)) // newer: first in every page
	key := func(name string) int { return columnIndex(t, name) }
	for _, c := range []string{"customer_key", "store_keys", "product_keys"} {
		b[key(c)] = a[key(c)]
	}
	insert(t, admin, a, b)

	q := NewQuerier(admin)
	for name, f := range map[string]Filter{
		"customer": {CustomerID: customerA},
		"store":    {StoreIDs: []string{storeA}},
		"product":  {ProductIDs: []string{productA}},
	} {
		page, err := q.Search(context.Background(), Request{Filter: f, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Orders) != 1 || page.Orders[0].ID != orderA || page.Next != "" {
			t.Errorf("%s: got %+v, want only order A on one page", name, page)
		}
	}
}

func columnIndex(t *testing.T, name string) int {
	for i, c := range warehouse.OrderSearchTable.Columns {
		if c == name {
			return i
		}
	}
	t.Fatalf("no column %s", name)
	return -1
}

func insert(t *testing.T, conn driver.Conn, rows ...[]any) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), "INSERT INTO mallbots.order_search ("+strings.Join(warehouse.OrderSearchTable.Columns, ", ")+")")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}
