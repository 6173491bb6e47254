package search

import (
	"strings"
	"time"

	"github.com/mallbots/mallbots/views/warehouse"
)

// The tables the search reads (the warehouse's names).
var (
	searchTable    = warehouse.Database + "." + warehouse.OrderSearchTable.Name
	customersTable = warehouse.Database + "." + warehouse.CustomersTable.Name
)

// orderColumns are what an Order is scanned from, in scan order.
const orderColumns = "order_id, customer_id, item_product_ids, item_product_names, item_store_ids, item_store_names, " +
	"item_prices, item_quantities, total, status, created_at_ms, updated_at_ms, version"

// newestFirst is the search's order; (created_at_ms, order_id) is unique
// per order and never changes, which keyset pagination needs.
const newestFirst = "ORDER BY created_at_ms DESC, order_id DESC"

// statement is SQL text with its arguments in the order of its
// placeholders, for clickhouse-go's client-side binding: every value a
// client sends is a bound argument, never SQL text.
type statement struct {
	sql  strings.Builder
	args []any
}

func (s *statement) add(sql string, args ...any) {
	s.sql.WriteString(sql)
	s.args = append(s.args, args...)
}

func (s *statement) String() string { return s.sql.String() }

// pageSQL finds one page in two steps within one query. The inner SELECT
// finds the page's ids reading narrow columns only: filters on what never
// changes after an order is created run in PREWHERE, before FINAL, so FINAL
// collapses only candidate rows (every version of an order passes or fails
// together); the status, which changes, is filtered in WHERE, after FINAL.
// The outer SELECT reads the wide columns for those ids alone, through the
// primary key. It asks for one row more than the limit, to know whether
// there is a next page.
//
// from, when not nil, is a window: only orders created at or after it are
// candidates (see Querier.page for when the page is still exact).
//
// Between the two reads an order may move on: it is then shown with its
// newer status even under a status filter, rather than dropped (dropping it
// would end the search early, since a short page has no next).
func pageSQL(p page, from *uint64) *statement {
	s := &statement{}
	s.add("SELECT " + orderColumns + "\nFROM " + searchTable + " FINAL\nPREWHERE order_id IN (\n" +
		"    SELECT order_id\n    FROM " + searchTable + " FINAL\n")
	conds := candidates(p)
	if from != nil {
		conds.and("created_at_ms >= ?", *from)
	}
	conds.prewhere(s)
	if p.Status != "" {
		s.add("    WHERE status = ?\n", p.Status)
	}
	s.add("    "+newestFirst+"\n    LIMIT ?\n)\n"+newestFirst, p.limit+1)
	return s
}

// probeSQL counts the newest k candidate rows of a page (at most k) and
// finds the creation time of the oldest of them: the lower end of a window
// that holds them. It reads without FINAL, so an order with several
// versions counts several times; that only makes the window narrower than
// k orders, never wrong.
func probeSQL(p page, k int) *statement {
	s := &statement{}
	s.add("SELECT count(), min(created_at_ms)\nFROM (\n    SELECT created_at_ms\n    FROM " + searchTable + "\n")
	candidates(p).prewhere(s)
	s.add("    ORDER BY created_at_ms DESC\n    LIMIT ?\n)", k)
	return s
}

// conditions are AND-ed SQL conditions with their arguments.
type conditions struct{ statement }

func (c *conditions) and(sql string, args ...any) {
	if c.sql.Len() > 0 {
		c.add("\n      AND ")
	}
	c.add(sql, args...)
}

// prewhere appends the conditions to s as its PREWHERE clause, if any.
func (c *conditions) prewhere(s *statement) {
	if c.sql.Len() == 0 {
		return
	}
	s.add("    PREWHERE ")
	s.add(c.String(), c.args...)
	s.add("\n")
}

// candidates are a page's conditions on what never changes after an order
// is created (every filter but the status, and the cursor): true or false
// for every version of an order alike, so they may run before FINAL.
func candidates(p page) *conditions {
	c := &conditions{}
	f := p.Filter
	// The ids are compared by key (warehouse.SearchKey) unless the page
	// must be exact, for when two ids share a key.
	if f.CustomerID != "" && p.exact {
		c.and("customer_id = ?", f.CustomerID)
	} else if f.CustomerID != "" {
		c.and("customer_key = ?", warehouse.SearchKey(f.CustomerID))
	}
	after, hasAfter := boundMs(f.CreatedAfter)
	before, hasBefore := boundMs(f.CreatedBefore)
	if hasAfter || hasBefore {
		c.and("created_at_ms > 0") // an unknown creation time matches no bound
	}
	if hasAfter {
		c.and("created_at_ms >= ?", after)
	}
	if hasBefore {
		c.and("created_at_ms < ?", before)
	}
	anyOf(c, "store", sorted(f.StoreIDs), p.exact)
	anyOf(c, "product", sorted(f.ProductIDs), p.exact)
	if f.MinTotal != nil {
		c.and("total >= toDecimal64(?, 2)", decimalText(*f.MinTotal))
	}
	if f.MaxTotal != nil {
		c.and("total <= toDecimal64(?, 2)", decimalText(*f.MaxTotal))
	}
	if p.after != nil {
		c.and("(created_at_ms < ? OR (created_at_ms = ? AND order_id < ?))", p.after.CreatedMs, p.after.CreatedMs, p.after.OrderID)
	}
	return c
}

// orderSQL reads one order by id, with its customer's name ("" while
// mallbots.customers does not have the customer) in a scalar subquery:
// one query, not two, since each query costs 18.16 a few milliseconds
// however little it reads. The customer id comes from any version of the
// order (it never changes).
func orderSQL(id string) *statement {
	s := &statement{}
	s.add("SELECT "+orderColumns+",\n    (SELECT any(name) FROM "+customersTable+
		" PREWHERE id IN (SELECT customer_id FROM "+searchTable+" PREWHERE order_id = ?))\n"+
		"FROM "+searchTable+" FINAL\nPREWHERE order_id = ?", id, id)
	return s
}

// namesSQL reads the names of customers by id. Names never change (there is
// no rename), so any version's name is the name, without FINAL; IN over a
// subquery lets the customers' primary key find the ids (a bound Go slice
// is an array, which 18.16 does not accept after IN).
func namesSQL(ids []string) *statement {
	s := &statement{}
	s.add("SELECT id, any(name)\nFROM "+customersTable+"\nPREWHERE id IN (SELECT arrayJoin(?))\nGROUP BY id", ids)
	return s
}

// anyOf matches orders with an item of any of the ids (store or product).
func anyOf(c *conditions, what string, ids []string, exact bool) {
	switch {
	case len(ids) == 0:
	case exact:
		c.and("hasAny("+what+"_ids, ?)", ids)
	default:
		c.and("hasAny("+what+"_keys, ?)", warehouse.SearchKeys(ids))
	}
}

// boundMs is a time bound in Unix milliseconds, rounded up to the next
// millisecond when finer: created_at_ms >= boundMs(after) then means
// "created at or after", and created_at_ms < boundMs(before) "created
// before", exactly. ok is false for the zero time (no bound).
func boundMs(t time.Time) (ms uint64, ok bool) {
	if t.IsZero() {
		return 0, false
	}
	m := t.UnixMilli()
	if t.Sub(time.UnixMilli(m)) > 0 {
		m++
	}
	return uint64(max(m, 0)), true
}
