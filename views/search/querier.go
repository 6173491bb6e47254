package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// Order is one search result: the order's current state in the search
// table, with its customer's name.
type Order struct {
	ID         string
	CustomerID string
	// CustomerName is empty while mallbots.customers does not have the
	// customer yet (the customers projection runs behind).
	CustomerName string
	Items        []Item
	TotalCents   int64
	Status       string
	// CreatedAt is the zero time when the creation time is unknown (see
	// Filter.CreatedAfter); both times have millisecond precision, in UTC.
	CreatedAt, UpdatedAt time.Time
	Version              int64
}

// Item is one order line.
type Item struct {
	ProductID, ProductName string
	StoreID, StoreName     string
	PriceCents             int64
	Quantity               int32
}

// Page is one page of results, newest first.
type Page struct {
	Orders []Order
	// Next is the cursor of the following page, empty on the last page.
	Next string
}

// ErrNotFound is returned by Querier.Order for an id the search table does
// not hold (yet: the projection may not have reached a new order).
var ErrNotFound = errors.New("no such order in the search table")

// Querier answers searches over a ClickHouse connection. It is safe for
// concurrent use as far as conn is (clickhouse-go's pooled Conn is).
type Querier struct {
	conn driver.Conn
	// windowRows sizes the first window (window.go); tests shrink it to
	// make every search go through the wider windows.
	windowRows int
}

// NewQuerier returns a Querier reading through conn, which needs SELECT on
// mallbots.order_search and mallbots.customers.
func NewQuerier(conn driver.Conn) *Querier {
	return &Querier{conn: conn, windowRows: defaultWindowRows}
}

// Search returns one page of the orders that match r, newest first. A
// request with problems returns a BadRequest listing all of them.
func (q *Querier) Search(ctx context.Context, r Request) (Page, error) {
	p, bad := r.compile()
	if bad != nil {
		return Page{}, bad
	}
	orders, err := q.page(ctx, p)
	if err == nil && !p.Filter.matchesIDs(orders) {
		// Another id shares a key with one of the filter's ids: search
		// again comparing the ids themselves.
		p.exact = true
		orders, err = q.page(ctx, p)
	}
	if err != nil {
		return Page{}, err
	}
	var next string
	if len(orders) > p.limit {
		orders = orders[:p.limit]
		last := orders[p.limit-1]
		next = encodeCursor(key{CreatedMs: ms(last.CreatedAt), OrderID: last.ID}, p.Filter.fingerprint())
	}
	if err := q.name(ctx, orders); err != nil {
		return Page{}, err
	}
	return Page{Orders: orders, Next: next}, nil
}

// Order returns the order with the id, or ErrNotFound.
func (q *Querier) Order(ctx context.Context, id string) (Order, error) {
	if !isUUID(id) {
		return Order{}, BadRequest{{Field: "id", Message: fmt.Sprintf("must be a UUID, got %q", id)}}
	}
	orders, err := q.orders(ctx, orderSQL(id), true)
	if err != nil {
		return Order{}, err
	}
	if len(orders) == 0 {
		return Order{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	return orders[0], nil
}

// keepWhere stops ClickHouse from moving WHERE conditions into PREWHERE
// by itself: the status must be filtered after FINAL. Neither 18.16 nor
// current releases move them under FINAL today (the acceptance test fails
// if one does); the setting keeps it so.
var keepWhere = clickhouse.WithSettings(clickhouse.Settings{"optimize_move_to_prewhere": 0})

// orders runs a query of orderColumns, followed by the customer's name
// when named.
func (q *Querier) orders(ctx context.Context, st *statement, named bool) ([]Order, error) {
	rows, err := q.conn.Query(clickhouse.Context(ctx, keepWhere), st.String(), st.args...)
	if err != nil {
		return nil, fmt.Errorf("search orders in ClickHouse: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows, named)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search orders in ClickHouse: %w", err)
	}
	return out, nil
}

func scanOrder(rows driver.Rows, named bool) (Order, error) {
	var (
		o                                          Order
		productIDs, productNames, storeIDs, stores []string
		prices                                     []decimal.Decimal
		quantities                                 []uint32
		total                                      decimal.Decimal
		createdMs, updatedMs, version              uint64
	)
	dest := []any{&o.ID, &o.CustomerID, &productIDs, &productNames, &storeIDs, &stores,
		&prices, &quantities, &total, &o.Status, &createdMs, &updatedMs, &version}
	if named {
		dest = append(dest, &o.CustomerName)
	}
	if err := rows.Scan(dest...); err != nil {
		return Order{}, fmt.Errorf("read a search row: %w (is mallbots.order_search migrated?)", err)
	}
	n := len(productIDs)
	if len(productNames) != n || len(storeIDs) != n || len(stores) != n || len(prices) != n || len(quantities) != n {
		return Order{}, fmt.Errorf("order %s: its item arrays differ in length; the projection wrote a broken row", o.ID)
	}
	o.Items = make([]Item, n)
	for i := range n {
		o.Items[i] = Item{ProductID: productIDs[i], ProductName: productNames[i], StoreID: storeIDs[i], StoreName: stores[i],
			PriceCents: cents(prices[i]), Quantity: int32(quantities[i])}
	}
	o.TotalCents = cents(total)
	if createdMs > 0 {
		o.CreatedAt = time.UnixMilli(int64(createdMs)).UTC()
	}
	o.UpdatedAt = time.UnixMilli(int64(updatedMs)).UTC()
	o.Version = int64(version)
	return o, nil
}

// name fills in the customers' names.
func (q *Querier) name(ctx context.Context, orders []Order) error {
	seen := map[string]bool{}
	var ids []string
	for _, o := range orders {
		if !seen[o.CustomerID] {
			seen[o.CustomerID] = true
			ids = append(ids, o.CustomerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	st := namesSQL(ids)
	rows, err := q.conn.Query(ctx, st.String(), st.args...)
	if err != nil {
		return fmt.Errorf("read customer names from ClickHouse: %w", err)
	}
	defer rows.Close()
	names := make(map[string]string, len(ids))
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("read customer names from ClickHouse: %w", err)
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read customer names from ClickHouse: %w", err)
	}
	for i := range orders {
		orders[i].CustomerName = names[orders[i].CustomerID]
	}
	return nil
}

// matchesIDs checks the filter's ids against rows found by key.
func (f Filter) matchesIDs(orders []Order) bool {
	for _, o := range orders {
		if f.CustomerID != "" && o.CustomerID != f.CustomerID {
			return false
		}
		if len(f.StoreIDs) > 0 && !slices.ContainsFunc(o.Items, func(it Item) bool { return slices.Contains(f.StoreIDs, it.StoreID) }) {
			return false
		}
		if len(f.ProductIDs) > 0 && !slices.ContainsFunc(o.Items, func(it Item) bool { return slices.Contains(f.ProductIDs, it.ProductID) }) {
			return false
		}
	}
	return true
}

func cents(d decimal.Decimal) int64 { return d.Shift(2).IntPart() }

// ms is the key's created_at_ms of a time Order holds.
func ms(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixMilli())
}
