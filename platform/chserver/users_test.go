package chserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
)

func TestUsers(t *testing.T) {
	srv := chtest.Start(t)
	admin := chtest.Open(t, srv, chserver.DefaultUser)
	mustExec(t, admin, "CREATE DATABASE mallbots")
	mustExec(t, admin, "CREATE TABLE mallbots.facts (n UInt64) ENGINE = MergeTree ORDER BY n")
	mustExec(t, admin, "CREATE TABLE default.private (n UInt64) ENGINE = MergeTree ORDER BY n")
	ctx := context.Background()

	t.Run("writer inserts and creates in mallbots", func(t *testing.T) {
		w := chtest.Open(t, srv, chserver.WriterUser)
		insertNumbers(t, w, "mallbots.facts", 5)
		mustExec(t, w, "CREATE TABLE mallbots.writer_made (n UInt64) ENGINE = MergeTree ORDER BY n")
		if err := w.Exec(ctx, "SELECT count() FROM default.private"); !refused(err) {
			t.Errorf("writer read a table outside mallbots: err = %v", err)
		}
	})

	t.Run("analyst reads with per-query limits", func(t *testing.T) {
		a := chtest.Open(t, srv, chserver.AnalystUser)
		limited := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": 5}))
		var n uint64
		if err := a.QueryRow(limited, "SELECT count() FROM mallbots.facts").Scan(&n); err != nil {
			t.Fatalf("analyst select with max_execution_time: %v", err)
		}
		if n != 5 {
			t.Errorf("count = %d, want 5", n)
		}
	})

	t.Run("analyst cannot write or change schema", func(t *testing.T) {
		a := chtest.Open(t, srv, chserver.AnalystUser)
		if err := tryInsertNumbers(a, "mallbots.facts", 1); !refused(err) {
			t.Errorf("analyst INSERT: err = %v, want a readonly refusal", err)
		}
		for _, sql := range []string{
			"ALTER TABLE mallbots.facts DELETE WHERE 1",
			"ALTER TABLE mallbots.facts ADD COLUMN x UInt8",
			"DROP TABLE mallbots.facts",
			"TRUNCATE TABLE mallbots.facts",
			"CREATE TABLE mallbots.analyst_made (n UInt64) ENGINE = Memory",
			"SET readonly = 0",
			"SELECT count() FROM default.private",
		} {
			if err := a.Exec(ctx, sql); !refused(err) {
				t.Errorf("analyst ran %q: err = %v, want a refusal", sql, err)
			}
		}
		var n uint64
		if err := a.QueryRow(ctx, "SELECT count() FROM mallbots.facts").Scan(&n); err != nil || n != 5 {
			t.Errorf("after the refused statements count = %d (%v), want 5", n, err)
		}
	})

	t.Run("wrong password is refused", func(t *testing.T) {
		opts := srv.Options(chserver.AnalystUser)
		opts.Auth.Password = "wrong"
		conn, err := clickhouse.Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Ping(ctx); err == nil {
			t.Error("ping with a wrong password succeeded")
		}
	})
}

// refused reports whether err is ClickHouse saying no: READONLY (164) or
// ACCESS_DENIED to a database (291).
func refused(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && (ex.Code == 164 || ex.Code == 291)
}
