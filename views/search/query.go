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
// Between the two reads an order may move on: it is then shown with its
// newer status even under a status filter, rather than dropped (dropping it
// would end the search early, since a short page has no next).
func pageSQL(p page) *statement {
	s := &statement{}
	s.add("SELECT " + orderColumns + "\nFROM " + searchTable + " FINAL\nPREWHERE order_id IN (\n" +
		"    SELECT order_id\n    FROM " + searchTable + " FINAL\n")
	var conds statement
	and := func(sql string, args ...any) {
		if conds.sql.Len() > 0 {
			conds.add("\n      AND ")
		}
		conds.add(sql, args...)
	}
	f := p.Filter
	if f.CustomerID != "" {
		and("customer_id = ?", f.CustomerID)
	}
	after, hasAfter := boundMs(f.CreatedAfter)
	before, hasBefore := boundMs(f.CreatedBefore)
	if hasAfter || hasBefore {
		and("created_at_ms > 0") // an unknown creation time matches no bound
	}
	if hasAfter {
		and("created_at_ms >= ?", after)
	}
	if hasBefore {
		and("created_at_ms < ?", before)
	}
	if len(f.StoreIDs) > 0 {
		and("hasAny(store_ids, ?)", sorted(f.StoreIDs))
	}
	if len(f.ProductIDs) > 0 {
		and("hasAny(product_ids, ?)", sorted(f.ProductIDs))
	}
	if f.MinTotal != nil {
		and("total >= toDecimal64(?, 2)", decimalText(*f.MinTotal))
	}
	if f.MaxTotal != nil {
		and("total <= toDecimal64(?, 2)", decimalText(*f.MaxTotal))
	}
	if p.after != nil {
		and("(created_at_ms < ? OR (created_at_ms = ? AND order_id < ?))", p.after.CreatedMs, p.after.CreatedMs, p.after.OrderID)
	}
	if conds.sql.Len() > 0 {
		s.add("    PREWHERE ")
		s.add(conds.String(), conds.args...)
		s.add("\n")
	}
	if f.Status != "" {
		s.add("    WHERE status = ?\n", f.Status)
	}
	s.add("    "+newestFirst+"\n    LIMIT ?\n)\n"+newestFirst, p.limit+1)
	return s
}

// orderSQL reads one order by id.
func orderSQL(id string) *statement {
	s := &statement{}
	s.add("SELECT "+orderColumns+"\nFROM "+searchTable+" FINAL\nPREWHERE order_id = ?", id)
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
