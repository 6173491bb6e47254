// Package search answers order searches from ClickHouse: the read model
// mallbots.order_search (filled by views/projections.Search from the orders
// state table) and the customers' names in mallbots.customers.
//
// A Request holds the filters of docs/domain.md, all optional and AND-ed, a
// limit and an opaque cursor; Querier.Search validates it (every problem,
// each naming its field, as a BadRequest), binds every value with
// clickhouse-go's client-side binding (ClickHouse 18.16 has no server-side
// parameters; nothing a client sends is concatenated into SQL) and returns
// a Page of orders, newest first (created_at_ms DESC, order_id DESC), with
// the cursor of the next page. Pagination is keyset: a cursor is the sort
// key of the last row, so pages neither skip nor repeat orders while new
// ones arrive. Querier.Order reads one order by id.
//
// How the SQL stays fast on 18.16 (no read-in-order, no skipping indexes):
// filters on what never changes after creation go in PREWHERE, which runs
// before FINAL collapses the versions, so FINAL merges only candidate
// rows; the status filter goes in WHERE, after FINAL; the page's ids are
// found reading narrow columns only, and the wide columns are read for
// those ids alone through the primary key. See docs/adr/0009-order-search.md.
package search
