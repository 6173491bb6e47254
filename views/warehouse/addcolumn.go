package warehouse

import (
	"context"
	"errors"
	"regexp"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// addColumn matches "ALTER TABLE db.table ADD COLUMN name …", the one DDL
// form a migration cannot write idempotently on ClickHouse 18.16, which
// knows no ADD COLUMN IF NOT EXISTS; ON CLUSTER (ForCluster) may follow the
// table.
var addColumn = regexp.MustCompile("(?is)^\\s*ALTER\\s+TABLE\\s+`?(\\w+)`?\\.`?(\\w+)`?(?:\\s+ON\\s+CLUSTER\\s+\\w+)?\\s+ADD\\s+COLUMN\\s+`?(\\w+)`?\\s")

// The codes of "Cannot add column …: column with this name already exists":
// ILLEGAL_COLUMN on 18.16 (checked on 18.16.1), DUPLICATE_COLUMN on current
// releases.
const (
	codeIllegalColumn   = 44
	codeDuplicateColumn = 15
)

// columnAlreadyAdded reports whether err is an ADD COLUMN statement refused
// because its column exists already, and the column does exist: an earlier
// run was interrupted between the statement and its record, or another
// instance migrated at the same time. Either way the statement's work is
// done, so Migrate goes on as it would after IF NOT EXISTS.
func columnAlreadyAdded(ctx context.Context, conn driver.Conn, stmt string, err error) bool {
	m := addColumn.FindStringSubmatch(stmt)
	var ex *clickhouse.Exception
	if m == nil || !errors.As(err, &ex) || (ex.Code != codeIllegalColumn && ex.Code != codeDuplicateColumn) {
		return false
	}
	var n uint64
	q := "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?"
	if conn.QueryRow(ctx, q, m[1], m[2], m[3]).Scan(&n) != nil {
		return false
	}
	return n == 1
}
