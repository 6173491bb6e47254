package chtest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// FinalRows is a mallbots table's rows under FINAL, each as its values
// joined by "|", sorted: two tables with the same rows compare equal.
func FinalRows(t testing.TB, conn driver.Conn, table string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT * FROM mallbots."+table+" FINAL")
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(rows.ColumnTypes()))
		for i, c := range rows.ColumnTypes() {
			vals[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range vals {
			fmt.Fprintf(&b, "%v|", reflect.ValueOf(v).Elem().Interface())
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	slices.Sort(out)
	return out
}

// Strings is the one string column a query returns, in the order it returns
// it.
func Strings(t testing.TB, conn driver.Conn, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// Columns is the names of a mallbots table's columns in declaration order,
// the order the projector's inserts follow. (18.16's system.columns has no
// position; it lists columns in declaration order.)
func Columns(t testing.TB, conn driver.Conn, table string) []string {
	t.Helper()
	return Strings(t, conn, "SELECT name FROM system.columns WHERE database = 'mallbots' AND table = ?", table)
}
