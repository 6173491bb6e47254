package analytics

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Run runs sql and returns its rows with the Go values clickhouse-go
// scans them into (a Date column's values become Days).
func Run(ctx context.Context, conn driver.Conn, sql string) (Result, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := rows.ColumnTypes()
	var out Result
	for rows.Next() {
		ptrs := make([]any, len(cols))
		for i, c := range cols {
			ptrs[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		row := make([]any, len(cols))
		for i, p := range ptrs {
			v := reflect.ValueOf(p).Elem().Interface()
			if t, ok := v.(time.Time); ok && strings.HasPrefix(cols[i].DatabaseTypeName(), "Date") && !strings.HasPrefix(cols[i].DatabaseTypeName(), "DateTime") {
				v = dayOf(t)
			}
			row[i] = v
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
