package warehouse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Row is one row for one table, produced by a Projection's Map.
type Row struct {
	// Table is the Name of one of the Projection's Tables.
	Table string
	// Values follow the Table's Columns, one each, with Go types the
	// ClickHouse driver accepts for the column (string for String, uint64
	// for UInt64, uint32 for UInt32, uint8 for UInt8, time.Time for
	// DateTime, decimal.Decimal for Decimal, …). A row that does not fit is
	// treated like a Map error for its record.
	Values []any
}

// Table names a ClickHouse table and the columns a projection writes, in
// the order of Row.Values.
type Table struct {
	// Name is a table in Database ("events") or a qualified "db.table".
	Name    string
	Columns []string
}

// Projection says what a Projector consumes and how records become rows.
type Projection struct {
	// Name identifies the projection in logs and metrics, e.g. "events".
	Name string
	// Group is the Kafka consumer group. Its committed offsets are the
	// projection's progress; a new group starts at the oldest offset.
	Group string
	// Topics are consumed together, in one group.
	Topics []string
	// Tables are every table Map may write.
	Tables []Table
	// Map turns one record into rows (none is fine: the record is then only
	// committed). It must be deterministic: a record is mapped again when it
	// is redelivered. An error skips the record (see WithOnMapError).
	Map func(rec *kgo.Record) ([]Row, error)
	// Guard, when set, is asked before each insert which rows must not be
	// written: rows whose key the table already holds (or an earlier row
	// of the batch holds) with other content, which a ReplacingMergeTree
	// would let replace the row it holds. It returns the reason for each
	// refused row by index into rows; the record of a refused row is
	// skipped, none of its rows written, and counted in Stats.Conflicts
	// (and Skipped). It is dead-lettered when DeadLetter is set, else
	// handed to WithOnMapError as a Map error is. Nil: every row is
	// written.
	Guard func(ctx context.Context, ch driver.Conn, rows []Row) (map[int]error, error)
	// OnRebalance, when set, is called whenever the member's partitions
	// change (assigned, revoked or lost), before a record of the new
	// assignment is mapped: a Guard that remembers what the table holds
	// for this member's partitions forgets it there.
	OnRebalance func()
	// DeadLetter, when set, is the topic the records the Guard refuses are
	// copied to, byte for byte under their key, with the reason and their
	// origin in the dead-letter headers (topics.HeaderDLQReason, …,
	// HeaderDLQGroup = Group), by the projector's own client, before the
	// batch is committed; the consumer's principal needs WRITE on it. A
	// batch whose dead letters Kafka refuses is retried like a refused
	// insert. "" (the default): refused records are only logged.
	DeadLetter string
}

// identifier is what the projector puts in SQL text unquoted-safe; anything
// else is refused rather than escaped.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate reports every problem at once.
func (p Projection) validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("Projection.Name is empty"))
	}
	if p.Group == "" {
		errs = append(errs, errors.New("Projection.Group is empty"))
	}
	if len(p.Topics) == 0 {
		errs = append(errs, errors.New("Projection.Topics is empty"))
	}
	if p.Map == nil {
		errs = append(errs, errors.New("Projection.Map is nil"))
	}
	if len(p.Tables) == 0 {
		errs = append(errs, errors.New("Projection.Tables is empty"))
	}
	seen := map[string]bool{}
	for _, t := range p.Tables {
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("table %q is listed twice", t.Name))
		}
		seen[t.Name] = true
		if _, err := qualified(t.Name); err != nil {
			errs = append(errs, err)
		}
		if len(t.Columns) == 0 {
			errs = append(errs, fmt.Errorf("table %q has no columns", t.Name))
		}
		for _, c := range t.Columns {
			if !identifier.MatchString(c) {
				errs = append(errs, fmt.Errorf("table %q: column %q is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)", t.Name, c))
			}
		}
	}
	return errors.Join(errs...)
}

// qualified returns `db`.`table` for a Table.Name.
func qualified(name string) (string, error) {
	db, table, ok := strings.Cut(name, ".")
	if !ok {
		db, table = Database, name
	}
	if !identifier.MatchString(db) || !identifier.MatchString(table) {
		return "", fmt.Errorf("table name %q is not table or db.table with plain identifiers", name)
	}
	return "`" + db + "`.`" + table + "`", nil
}

// insertStatement is the column-listed INSERT that clickhouse-go's batch
// needs against 18.16 (without the list, or through Exec, it fails there).
// Identifiers are backquoted: `partition` and `offset` are column names.
func insertStatement(t Table) string {
	name, _ := qualified(t.Name) // validated in NewProjector
	return "INSERT INTO " + name + " (`" + strings.Join(t.Columns, "`, `") + "`)"
}
