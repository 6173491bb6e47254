package analytics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/warehouse"
)

// Rows are rows by table, in the table's declared column order.
type Rows struct {
	Tables []warehouse.Table
	Rows   map[string][][]any
}

// WarehouseRows returns the rows the projections write for h into the
// tables the cookbook reads: events, the analytics tables (through the
// analytics projection's own mapping) and notifications. For loading a
// made-up history where no Kafka runs (the chDB check).
func WarehouseRows(h *History) (*Rows, error) {
	r := &Rows{
		Tables: []warehouse.Table{warehouse.EventsTable, warehouse.OrderLinesTable, warehouse.OrderMilestonesTable,
			warehouse.BasketActivityTable, warehouse.NotificationsTable},
		Rows: map[string][][]any{},
	}
	for i, e := range h.Events {
		m := e.Meta()
		payload, err := e.Payload()
		if err != nil {
			return nil, err
		}
		agg, ok := aggregateByType(e.Aggregate)
		if !ok {
			return nil, fmt.Errorf("analytics: unknown aggregate type %q", e.Aggregate)
		}
		r.Rows[warehouse.EventsTable.Name] = append(r.Rows[warehouse.EventsTable.Name], []any{
			m.EventID, e.Type, uint32(1), e.Aggregate, m.AggregateID, uint64(m.AggregateVersion),
			m.OccurredAt.UTC(), uint64(m.OccurredAt.UnixMilli()), m.CommandID, m.CorrelationID, m.CausationID, payload,
			agg.Events.Name, uint32(0), uint64(i), m.PrevHash, m.Hash, m.IssuedBy, m.IssuerRole,
		})
		rows, err := projections.AnalyticsRows(e.Event)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			r.Rows[row.Table] = append(r.Rows[row.Table], row.Values)
		}
	}
	for _, n := range h.Notifications {
		r.Rows[warehouse.NotificationsTable.Name] = append(r.Rows[warehouse.NotificationsTable.Name], []any{
			n.NotificationID, n.OrderID, n.CustomerID, n.SMSNumber, n.Kind, n.Text, projections.Seconds(n.SentAt),
		})
	}
	return r, nil
}

func aggregateByType(typ string) (topics.Aggregate, bool) {
	for _, a := range topics.Aggregates() {
		if a.Type == typ {
			return a, true
		}
	}
	return topics.Aggregate{}, false
}

// Insert writes the rows with one column-listed batch insert per table
// (the form clickhouse-go needs against 18.16).
func (r *Rows) Insert(ctx context.Context, conn driver.Conn) error {
	for _, t := range r.Tables {
		rows := r.Rows[t.Name]
		if len(rows) == 0 {
			continue
		}
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+warehouse.Database+"."+t.Name+" (`"+strings.Join(t.Columns, "`, `")+"`)")
		if err != nil {
			return fmt.Errorf("insert into %s: %w", t.Name, err)
		}
		for _, row := range rows {
			if err := b.Append(row...); err != nil {
				_ = b.Abort()
				return fmt.Errorf("insert into %s: %w", t.Name, err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert into %s: %w", t.Name, err)
		}
	}
	return nil
}

// Statements returns one INSERT … VALUES statement per table, for engines
// reached as SQL text (chDB).
func (r *Rows) Statements() ([]string, error) {
	var out []string
	for _, t := range r.Tables {
		rows := r.Rows[t.Name]
		if len(rows) == 0 {
			continue
		}
		var b strings.Builder
		b.WriteString("INSERT INTO " + warehouse.Database + "." + t.Name + " (`" + strings.Join(t.Columns, "`, `") + "`) VALUES ")
		for i, row := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				lit, err := sqlLiteral(v)
				if err != nil {
					return nil, fmt.Errorf("%s row %d: %w", t.Name, i+1, err)
				}
				b.WriteString(lit)
			}
			b.WriteString(")")
		}
		out = append(out, b.String())
	}
	return out, nil
}

func sqlLiteral(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return Literal(x), nil
	case time.Time:
		return "'" + x.UTC().Format(time.DateTime) + "'", nil
	case decimal.Decimal:
		return x.String(), nil
	case uint8, uint16, uint32, uint64, int8, int16, int32, int64, int, uint:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("no SQL literal for a %T", v)
}
