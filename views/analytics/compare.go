package analytics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Normalize turns a result into text cells that compare across sources
// (clickhouse-go's Go values, chDB's CSV, the Go figures): strings as they
// are; integers, floats and decimals in Go's shortest form; a Day as
// 2006-01-02 and a time.Time as 2006-01-02 15:04:05 (UTC); a []string in
// ClickHouse's array text form ['a','b'].
func Normalize(r Result) ([][]string, error) {
	out := make([][]string, 0, len(r))
	for i, row := range r {
		cells := make([]string, 0, len(row))
		for j, v := range row {
			c, err := cell(v)
			if err != nil {
				return nil, fmt.Errorf("row %d, column %d: %w", i+1, j+1, err)
			}
			cells = append(cells, c)
		}
		out = append(out, cells)
	}
	return out, nil
}

func cell(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case Day:
		return string(x), nil
	case time.Time:
		return x.UTC().Format(time.DateTime), nil
	case decimal.Decimal:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case []string:
		quoted := make([]string, len(x))
		r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
		for i, s := range x {
			quoted[i] = "'" + r.Replace(s) + "'"
		}
		return "[" + strings.Join(quoted, ",") + "]", nil
	}
	return "", fmt.Errorf("no text form for a %T (%v)", v, v)
}

// Diff compares two normalized results and describes the first
// differences, or returns "" when they are equal. Cells that both read as
// numbers are equal when they differ by less than one part in 10⁹ (an
// average or a share computed in another order); NaN equals NaN.
func Diff(want, got [][]string) string {
	var b strings.Builder
	if len(want) != len(got) {
		fmt.Fprintf(&b, "want %d rows, got %d\n", len(want), len(got))
	}
	shown := 0
	for i := 0; i < max(len(want), len(got)) && shown < 5; i++ {
		var w, g []string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if !rowEqual(w, g) {
			fmt.Fprintf(&b, "row %d:\n  want %q\n  got  %q\n", i+1, w, g)
			shown++
		}
	}
	return b.String()
}

func rowEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !cellEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func cellEqual(a, b string) bool {
	if a == b {
		return true
	}
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA != nil || errB != nil {
		return false
	}
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return math.Abs(x-y) <= 1e-9*max(1, math.Abs(x), math.Abs(y))
}
