package search

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/schemas/ordering"
)

// A generated mall: customers, stores with products, and orders with the
// snapshot history the orders table would carry, redeliveries and stale
// versions included. Everything follows from the seed.

type genCustomer struct{ id, name string }

type genProduct struct {
	id, name, storeID, storeName string
	priceCents                   int64
}

// genOrder is an order's final state and the versions of it that were
// written to the table, in write order.
type genOrder struct {
	final  ordering.Order
	id     string
	writes []genVersion
	// version and updated are those of the final state.
	version   int64
	updated   time.Time
	createdMs uint64 // 0 when unknown
}

type genVersion struct {
	version int64
	status  string
	updated time.Time
}

type mall struct {
	customers []genCustomer
	stores    []string // store ids
	products  []genProduct
	orders    []genOrder
}

// statusPath is the status after each version of an order that ends in
// the final status, and how often orders end there (per mille).
var finalStatuses = []struct {
	path     []string
	perMille int
}{
	{[]string{"pending"}, 100},
	{[]string{"pending", "approved"}, 150},
	{[]string{"pending", "approved", "ready"}, 100},
	{[]string{"pending", "approved", "ready", "completed"}, 450},
	{[]string{"pending", "rejected"}, 100},
	{[]string{"pending", "canceled"}, 50},
	{[]string{"pending", "approved", "canceled"}, 50},
}

var genEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// generate makes a mall with n orders: n/10 customers (at least 20), 40
// stores of 25 products, 1-4 lines per order.
func generate(n int, seed uint64) *mall {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	newID := func() string {
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return uuid.UUID(b).String()
	}
	m := &mall{}
	for i := range max(n/10, 20) {
		m.customers = append(m.customers, genCustomer{id: newID(), name: fmt.Sprintf("Customer %d", i)})
	}
	for s := range 40 {
		store := newID()
		m.stores = append(m.stores, store)
		for p := range 25 {
			m.products = append(m.products, genProduct{id: newID(), name: fmt.Sprintf("Product %d-%d", s, p),
				storeID: store, storeName: fmt.Sprintf("Store %d", s), priceCents: 1 + rng.Int64N(9999)})
		}
	}
	m.orders = make([]genOrder, n)
	for i := range m.orders {
		m.orders[i] = m.order(rng, newID(), i)
	}
	return m
}

func (m *mall) order(rng *rand.Rand, id string, i int) genOrder {
	o := ordering.Order{ID: id, CustomerID: m.customers[rng.IntN(len(m.customers))].id, PaymentID: id}
	lines := 1 + rng.IntN(4)
	used := map[int]bool{}
	for len(o.Items) < lines {
		p := rng.IntN(len(m.products))
		if used[p] {
			continue
		}
		used[p] = true
		pr := m.products[p]
		q := int32(1 + rng.IntN(5))
		o.Items = append(o.Items, ordering.OrderItem{ProductID: pr.id, StoreID: pr.storeID, StoreName: pr.storeName,
			ProductName: pr.name, PriceCents: pr.priceCents, Quantity: q})
		o.TotalCents += pr.priceCents * int64(q)
	}
	created := genEpoch.Add(time.Duration(rng.Int64N(int64(365*24*time.Hour/time.Millisecond))) * time.Millisecond)
	switch r := rng.IntN(1000); {
	case r < 10 && i > 0: // the same instant as the order before: ties sort by id
		created = time.UnixMilli(int64(m.orders[i-1].createdMs)).UTC()
	case r < 12: // created before OrderSnapshot v2: unknown
		created = time.Time{}
	}
	g := genOrder{id: id}
	if !created.IsZero() {
		o.CreatedAt, g.createdMs = created, uint64(created.UnixMilli())
	}
	path := pickPath(rng)
	at := genEpoch.Add(400 * 24 * time.Hour)
	if !created.IsZero() {
		at = created
	}
	var versions []genVersion
	for v, status := range path {
		at = at.Add(time.Duration(1+rng.IntN(600_000)) * time.Millisecond)
		versions = append(versions, genVersion{version: int64(v + 1), status: status, updated: at})
	}
	last := versions[len(versions)-1]
	o.Status = last.status
	g.final, g.version, g.updated = o, last.version, last.updated
	// What reached the table: often an earlier version first; sometimes the
	// final one twice (a redelivery) or an older one after it (a replay).
	if len(versions) > 1 && rng.IntN(10) < 4 {
		g.writes = append(g.writes, versions[rng.IntN(len(versions)-1)])
	}
	g.writes = append(g.writes, last)
	if rng.IntN(100) < 3 {
		g.writes = append(g.writes, last)
	}
	if len(versions) > 1 && rng.IntN(100) < 3 {
		g.writes = append(g.writes, versions[0])
	}
	return g
}

func pickPath(rng *rand.Rand) []string {
	r := rng.IntN(1000)
	for _, f := range finalStatuses {
		if r < f.perMille {
			return f.path
		}
		r -= f.perMille
	}
	return finalStatuses[0].path
}

// snapshot is the table record of one written version of an order.
func (g *genOrder) snapshot(v genVersion) *ordering.OrderSnapshot {
	state := g.final
	state.Status = v.status
	return &ordering.OrderSnapshot{AggregateID: g.id, Version: v.version, LastOffset: -1, UpdatedAt: v.updated, State: state}
}
