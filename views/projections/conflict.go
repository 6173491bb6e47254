package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mallbots/mallbots/views/warehouse"
)

// The events projection never lets a record with other content replace a
// row mallbots.events holds: the table is a ReplacingMergeTree on
// (aggregate_type, aggregate_id, aggregate_version), which keeps whichever
// copy was inserted last, so a forged copy of an event produced to its
// topic would otherwise become the analysts' history (issue 22; docs/adr/0021).
// A redelivered copy has the same content and is written again harmlessly.

// eventKey is a row's key in mallbots.events.
type eventKey struct {
	typ, id string
	version uint64
}

// columns of EventsTable that the guard reads, by name.
func eventColumn(name string) int {
	for i, c := range EventsTable.Columns {
		if c == name {
			return i
		}
	}
	panic("projections: mallbots.events has no column " + name)
}

var (
	colType, colID, colVersion = eventColumn("aggregate_type"), eventColumn("aggregate_id"), eventColumn("aggregate_version")
	// contentColumns are what make two rows of one key the same event.
	contentColumns = []string{"event_id", "event_type", "occurred_at_ms", "command_id", "correlation_id", "causation_id", "payload", "prev_hash", "hash", "issued_by", "issuer_role"}
	contentIndexes = func() []int {
		out := make([]int, len(contentColumns))
		for i, c := range contentColumns {
			out[i] = eventColumn(c)
		}
		return out
	}()
)

func keyOf(r warehouse.Row) eventKey {
	return eventKey{typ: r.Values[colType].(string), id: r.Values[colID].(string), version: r.Values[colVersion].(uint64)}
}

func contentOf(r warehouse.Row) string {
	var b strings.Builder
	for _, i := range contentIndexes {
		fmt.Fprintf(&b, "%v\x00", r.Values[i])
	}
	return b.String()
}

// conflicts refuses each row whose key held (what the table holds) or an
// earlier row maps to other content.
func conflicts(rows []warehouse.Row, held map[eventKey]string) map[int]error {
	seen := map[eventKey]string{}
	for k, c := range held {
		seen[k] = c
	}
	out := map[int]error{}
	for i, r := range rows {
		k, c := keyOf(r), contentOf(r)
		first, ok := seen[k]
		switch {
		case !ok:
			seen[k] = c
		case first != c:
			out[i] = fmt.Errorf("mallbots.events holds %s %s v%d with other content (event id, payload, hashes or issuer differ): a changed copy of an event is refused, the first row stays",
				k.typ, k.id, k.version)
		}
	}
	return out
}

// guardEvents is the events projection's Guard: it reads the rows the
// table holds for the batch's aggregates and refuses the conflicting ones.
func guardEvents(ctx context.Context, ch driver.Conn, rows []warehouse.Row) (map[int]error, error) {
	ids := map[string]bool{}
	var list []string
	for _, r := range rows {
		if id := keyOf(r).id; !ids[id] {
			ids[id] = true
			list = append(list, id)
		}
	}
	held := map[eventKey]string{}
	for start := 0; start < len(list); start += guardChunk {
		if err := readHeld(ctx, ch, list[start:min(start+guardChunk, len(list))], held); err != nil {
			return nil, err
		}
	}
	return conflicts(rows, held), nil
}

// guardChunk is how many aggregate ids one guard query names: a batch of
// the projector's size names thousands, and ClickHouse refuses a query
// text past max_query_size (256 KiB by default): 10,000 records of 8,543
// customers stopped the projection for good ("Max query size exceeded").
// 2,000 ids are about 84 KB.
var guardChunk = 2000

// readHeld adds to held the rows the table holds for the aggregates ids,
// by key, with their content.
func readHeld(ctx context.Context, ch driver.Conn, ids []string, held map[eventKey]string) error {
	// One placeholder per id, bound client-side (18.16 has no server-side
	// parameters, and a bound slice is an Array, which IN refuses there).
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := "SELECT aggregate_type, aggregate_id, aggregate_version, " + strings.Join(contentColumns, ", ") +
		" FROM " + warehouse.Database + "." + EventsTable.Name +
		" WHERE aggregate_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	res, err := ch.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read the events held for %d aggregates: %w", len(ids), err)
	}
	defer res.Close()
	for res.Next() {
		var k eventKey
		var eventID, eventType, commandID, correlationID, causationID, payload, prevHash, hash, issuedBy, issuerRole string
		var occurredMs uint64
		if err := res.Scan(&k.typ, &k.id, &k.version, &eventID, &eventType, &occurredMs, &commandID, &correlationID, &causationID, &payload, &prevHash, &hash, &issuedBy, &issuerRole); err != nil {
			return err
		}
		row := make([]any, len(EventsTable.Columns))
		for i, v := range []any{eventID, eventType, occurredMs, commandID, correlationID, causationID, payload, prevHash, hash, issuedBy, issuerRole} {
			row[contentIndexes[i]] = v
		}
		if _, ok := held[k]; !ok {
			held[k] = contentOf(warehouse.Row{Values: row})
		}
	}
	return res.Err()
}
