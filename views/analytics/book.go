package analytics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/mallbots/mallbots/docs"
)

// Book runs the cookbook's queries by name for the console's charts
// (GET /api/analytics/{name}): the SQL is the document's, embedded in the
// binary, so what a chart shows is what an analyst who copies the query
// gets.
type Book struct {
	conn    driver.Conn
	queries []Query
}

// ErrUnknownQuery wraps the refusal of a name the cookbook does not have.
var ErrUnknownQuery = errors.New("the cookbook has no such query")

// ParamError is a parameter a run was given wrong or not at all.
type ParamError struct{ Query, Param, Problem string }

func (e *ParamError) Error() string {
	return fmt.Sprintf("query %s: parameter %s %s", e.Query, e.Param, e.Problem)
}

// NewBook reads the embedded cookbook; its queries run on conn (a
// read-only user is enough and is what the system gives it).
func NewBook(conn driver.Conn) (*Book, error) {
	qs, err := ParseCookbook(docs.Analytics)
	if err != nil {
		return nil, err
	}
	return &Book{conn: conn, queries: qs}, nil
}

// Queries are the cookbook's queries in the document's order.
func (b *Book) Queries() []Query { return slices.Clone(b.queries) }

// Table is a query's answer: its column names and its rows, each value a
// string, a number (int64, uint64, float64, or a decimal.Decimal, exact), a
// bool, a []string, or nil for a NaN; a Date is "2006-01-02" and a
// DateTime RFC 3339 in UTC.
type Table struct {
	Columns []string
	Rows    [][]any
}

// Run binds values to the query's parameters (an instant in RFC 3339, a
// string as it is) and runs it.
func (b *Book) Run(ctx context.Context, name string, values map[string]string) (Table, error) {
	i := slices.IndexFunc(b.queries, func(q Query) bool { return q.Name == name })
	if i < 0 {
		return Table{}, fmt.Errorf("%w: %q", ErrUnknownQuery, name)
	}
	q := b.queries[i]
	params := Params{}
	for _, p := range q.Params {
		v, ok := values[p]
		if !ok {
			return Table{}, &ParamError{q.Name, p, "is missing: give it as ?" + p + "=" + example(q, p)}
		}
		if !slices.Contains(q.Instants, p) {
			params[p] = v
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return Table{}, &ParamError{q.Name, p, fmt.Sprintf("must be an instant in RFC 3339, e.g. %s, not %q", example(q, p), v)}
		}
		params[p] = t
	}
	for k := range values {
		if !slices.Contains(q.Params, k) {
			return Table{}, &ParamError{q.Name, k, "is not one of the query's (" + strings.Join(q.Params, ", ") + ")"}
		}
	}
	sql, err := q.Bind(params)
	if err != nil {
		return Table{}, err
	}
	rows, err := b.conn.Query(ctx, sql)
	if err != nil {
		return Table{}, fmt.Errorf("query %s: %w", q.Name, err)
	}
	defer rows.Close()
	cols := rows.ColumnTypes()
	out := Table{Columns: rows.Columns(), Rows: [][]any{}}
	for rows.Next() {
		ptrs := make([]any, len(cols))
		for i, c := range cols {
			ptrs[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Table{}, fmt.Errorf("query %s: scan: %w", q.Name, err)
		}
		row := make([]any, len(cols))
		for i, p := range ptrs {
			row[i] = jsonValue(reflect.ValueOf(p).Elem().Interface(), cols[i].DatabaseTypeName())
		}
		out.Rows = append(out.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return Table{}, fmt.Errorf("query %s: %w", q.Name, err)
	}
	return out, nil
}

func example(q Query, p string) string {
	if slices.Contains(q.Instants, p) {
		return "2026-12-07T12:00:00Z"
	}
	return "…"
}

// finite is x, or nil for NaN and the infinities, which JSON cannot
// write (a share of nothing, 0/0, is NaN in ClickHouse).
func finite(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// jsonValue is v in one of Table's kinds.
func jsonValue(v any, dbType string) any {
	switch x := v.(type) {
	case time.Time:
		if strings.HasPrefix(dbType, "Date") && !strings.HasPrefix(dbType, "DateTime") {
			return string(dayOf(x))
		}
		return x.UTC().Format(time.RFC3339Nano)
	case int8, int16, int32, int:
		return reflect.ValueOf(x).Int()
	case uint8, uint16, uint32, uint:
		return reflect.ValueOf(x).Uint()
	case float32:
		return finite(float64(x))
	case float64:
		return finite(x)
	case decimal.Decimal, string, int64, uint64, bool, []string:
		return x
	}
	return fmt.Sprint(v)
}
