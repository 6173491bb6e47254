package projections

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"

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
// earlier row maps to other content. A row's content is built only when
// its key was met before: most rows of a batch are new events.
func conflicts(rows []warehouse.Row, held map[eventKey]string) map[int]error {
	first := map[eventKey]int{} // the first row of each key the table does not hold
	out := map[int]error{}
	for i, r := range rows {
		k := keyOf(r)
		want, isHeld := held[k]
		if !isHeld {
			j, met := first[k]
			if !met {
				first[k] = i
				continue
			}
			want = contentOf(rows[j])
		}
		if contentOf(r) != want {
			out[i] = fmt.Errorf("mallbots.events holds %s %s v%d with other content (event id, payload, hashes or issuer differ): a changed copy of an event is refused, the first row stays",
				k.typ, k.id, k.version)
		}
	}
	return out
}

// eventsGuard is the events projection's Guard. Reading what the table
// holds for every aggregate of a batch cost a scan of most of the table per
// batch: the aggregates of a batch are random, so their rows are in nearly
// every granule (8,192 rows) of the table's sort order. At 3.6 million
// events each query of 2,000 aggregates read 2.2 million rows in 0.4 s,
// and the projection did about 5,000 events a second, fewer as the table
// grew (docs/benchmarks.md, issue 27).
//
// So the guard remembers, for each aggregate, the highest version the table
// holds: read once (one GROUP BY) when it first runs or after the member's
// partitions change, and raised by every row it lets through. A row above
// that version cannot collide with a held row, since this member is the
// only writer of its partitions' aggregates; only the others, redeliveries
// and changed copies, are checked against the table as before. The
// versions are kept by a 64-bit hash of the aggregate's type and id: two
// aggregates that share one keep the higher version, which can only send a
// row to the check it could have skipped.
type eventsGuard struct {
	mu   sync.Mutex
	seed maphash.Seed
	top  map[uint64]uint64 // nil: to be read from the table
}

func newEventsGuard() *eventsGuard { return &eventsGuard{seed: maphash.MakeSeed()} }

func (g *eventsGuard) key(typ, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(g.seed)
	h.WriteString(typ)
	h.WriteByte(0)
	h.WriteString(id)
	return h.Sum64()
}

// forget drops what the guard knows of the table: after a rebalance,
// another member may have written aggregates this member now projects.
func (g *eventsGuard) forget() {
	g.mu.Lock()
	g.top = nil
	g.mu.Unlock()
}

// check is the Guard: it refuses the rows whose key the table holds, or an
// earlier row of the batch holds, with other content.
func (g *eventsGuard) check(ctx context.Context, ch driver.Conn, rows []warehouse.Row) (map[int]error, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.top == nil {
		top, err := g.load(ctx, ch)
		if err != nil {
			return nil, err
		}
		g.top = top
	}
	hashes := make([]uint64, len(rows))
	ids := map[string]bool{}
	var list []string
	for i, r := range rows {
		k := keyOf(r)
		hashes[i] = g.key(k.typ, k.id)
		if k.version > g.top[hashes[i]] || ids[k.id] {
			continue
		}
		ids[k.id] = true
		list = append(list, k.id)
	}
	held := map[eventKey]string{}
	for start := 0; start < len(list); start += guardChunk {
		if err := readHeld(ctx, ch, list[start:min(start+guardChunk, len(list))], held); err != nil {
			return nil, err
		}
	}
	refused := conflicts(rows, held)
	for i, r := range rows {
		if refused[i] == nil {
			g.top[hashes[i]] = max(g.top[hashes[i]], keyOf(r).version)
		}
	}
	return refused, nil
}

// load reads the highest version the table holds of each aggregate.
func (g *eventsGuard) load(ctx context.Context, ch driver.Conn) (map[uint64]uint64, error) {
	res, err := ch.Query(ctx, "SELECT aggregate_type, aggregate_id, max(aggregate_version) FROM "+
		warehouse.Database+"."+EventsTable.Name+" GROUP BY aggregate_type, aggregate_id")
	if err != nil {
		return nil, fmt.Errorf("read the versions mallbots.events holds: %w", err)
	}
	defer res.Close()
	top := map[uint64]uint64{}
	for res.Next() {
		var typ, id string
		var version uint64
		if err := res.Scan(&typ, &id, &version); err != nil {
			return nil, fmt.Errorf("read the versions mallbots.events holds: %w", err)
		}
		h := g.key(typ, id)
		top[h] = max(top[h], version)
	}
	return top, res.Err()
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
