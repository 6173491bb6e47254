package analytics_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/views/analytics"
	"github.com/mallbots/mallbots/views/warehouse/warehousetest"
)

func cookbook(t *testing.T) []analytics.Query {
	t.Helper()
	path, err := analytics.FindCookbook()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := analytics.LoadCookbook(path)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

func fixture(t *testing.T) (*analytics.History, analytics.Params) {
	t.Helper()
	h, err := analytics.Fixture()
	if err != nil {
		t.Fatal(err)
	}
	return h, analytics.FixtureParams(h)
}

func TestEveryCookbookQueryHasAGoFigure(t *testing.T) {
	var names []string
	for _, q := range cookbook(t) {
		names = append(names, q.Name)
	}
	slices.Sort(names)
	if figures := analytics.Figures(); !slices.Equal(names, figures) {
		t.Fatalf("the cookbook's queries %v and the Go figures %v differ: every query needs a figure in views/analytics/figures.go and every figure a query", names, figures)
	}
}

func TestCookbookParametersBind(t *testing.T) {
	at := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, q := range cookbook(t) {
		sql, err := q.Bind(analytics.Params{"instant": at, "basket_id": "it's", "type": "order", "id": "o-1", "product_id": "p-1"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range q.Params {
			want := map[string]string{
				"instant": "toDateTime('2027-01-02 03:04:05', 'UTC') AS instant", "basket_id": `'it\'s' AS basket_id`,
				"type": "'order' AS type", "id": "'o-1' AS id", "product_id": "'p-1' AS product_id",
			}[p]
			if want == "" {
				t.Errorf("query %s has a parameter %q this test does not know", q.Name, p)
			} else if !strings.Contains(sql, want) {
				t.Errorf("query %s bound: want %q in\n%s", q.Name, want, sql)
			}
		}
	}
}

// The fixture makes every query return rows, so that the comparisons below
// compare something.
func TestTheFixtureGivesEveryQueryRows(t *testing.T) {
	h, p := fixture(t)
	for _, name := range analytics.Figures() {
		r, err := analytics.Expected(name, h, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(r) == 0 {
			t.Errorf("%s: the fixture gives no rows; extend analytics.Fixture", name)
		}
	}
}

// Every cookbook query, run on ClickHouse 18.16 as the analyst over the
// fixture's rows, returns what the Go figures compute from the fixture's
// events.
func TestCookbookOnClickHouse18(t *testing.T) {
	srv, _ := warehousetest.Migrated(t)
	ctx := context.Background()
	h, p := fixture(t)
	rows, err := analytics.WarehouseRows(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := rows.Insert(ctx, chtest.Open(t, srv, chserver.WriterUser)); err != nil {
		t.Fatal(err)
	}
	analyst := chtest.Open(t, srv, chserver.AnalystUser)
	book, err := analytics.NewBook(analyst)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range cookbook(t) {
		t.Run(q.Name, func(t *testing.T) {
			sql, err := q.Bind(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := analytics.Run(ctx, analyst, sql)
			if err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			compare(t, q.Name, h, p, got)
			sameAsTheBook(t, book, q, p, got)
		})
	}
}

// sameAsTheBook checks that the Book (GET /api/analytics/{name}) answers
// the query with the same rows, its parameters given as text.
func sameAsTheBook(t *testing.T, book *analytics.Book, q analytics.Query, p analytics.Params, want analytics.Result) {
	t.Helper()
	values := map[string]string{}
	for _, name := range q.Params {
		switch v := p[name].(type) {
		case time.Time:
			values[name] = v.Format(time.RFC3339)
		case string:
			values[name] = v
		}
	}
	table, err := book.Run(context.Background(), q.Name, values)
	if err != nil {
		t.Fatalf("the book: %v", err)
	}
	wantCells, err := analytics.Normalize(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != len(wantCells) || len(table.Columns) == 0 || len(table.Rows) > 0 && len(table.Rows[0]) != len(table.Columns) {
		t.Fatalf("the book answers %d rows of %d columns %v, the query %d rows", len(table.Rows), len(table.Columns), table.Columns, len(wantCells))
	}
	for i, row := range table.Rows {
		for j, v := range row {
			if s, ok := v.(string); ok {
				if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
					v = at
				}
			}
			got, err := analytics.Normalize(analytics.Result{{v}})
			if err != nil {
				t.Fatalf("row %d, %s: %v", i+1, table.Columns[j], err)
			}
			if got[0][0] != wantCells[i][j] {
				t.Errorf("row %d, %s: the book answers %q, the query %q", i+1, table.Columns[j], got[0][0], wantCells[i][j])
			}
		}
	}
}

// compare checks a query's result against its Go figure.
func compare(t *testing.T, name string, h *analytics.History, p analytics.Params, got analytics.Result) {
	t.Helper()
	want, err := analytics.Expected(name, h, p)
	if err != nil {
		t.Fatal(err)
	}
	same(t, name+": ClickHouse and the Go figure", want, got)
}

// The book refuses what it cannot run with an answer that says what to do.
func TestTheBookRefusesUnknownQueriesAndParameters(t *testing.T) {
	book, err := analytics.NewBook(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := book.Run(ctx, "no_such_query", nil); !errors.Is(err, analytics.ErrUnknownQuery) {
		t.Errorf("an unknown query: %v", err)
	}
	for _, c := range []struct {
		values map[string]string
		want   string
	}{
		{map[string]string{}, "query orders_by_status_at: parameter instant is missing: give it as ?instant=2026-12-07T12:00:00Z"},
		{map[string]string{"instant": "yesterday"}, `query orders_by_status_at: parameter instant must be an instant in RFC 3339, e.g. 2026-12-07T12:00:00Z, not "yesterday"`},
		{map[string]string{"instant": "2026-12-07T12:00:00Z", "x": "1"}, "query orders_by_status_at: parameter x is not one of the query's (instant)"},
	} {
		_, err := book.Run(ctx, "orders_by_status_at", c.values)
		var pe *analytics.ParamError
		if !errors.As(err, &pe) || err.Error() != c.want {
			t.Errorf("%v: got %v, want %q", c.values, err, c.want)
		}
	}
	var titled int
	for _, q := range book.Queries() {
		if q.Title != "" {
			titled++
		}
	}
	if titled != len(book.Queries()) {
		t.Errorf("%d of %d queries have a title", titled, len(book.Queries()))
	}
}
