package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mallbots/mallbots/views/warehouse"
)

// migrateCmd applies the ClickHouse migrations embedded in the binary
// (views/warehouse/migrations) to a ClickHouse server: the one-shot job of
// a distributed deployment, next to `mallbots topics apply`. `mallbots run`
// applies them too at start; running them first keeps several instances
// from racing to create the same tables. The user is
// MALLBOTS_CLICKHOUSE_USER (default "default"; it needs DDL rights) with
// MALLBOTS_CLICKHOUSE_PASSWORD, or their _FILE twins.
type migrateCmd struct {
	Clickhouse string        `help:"ClickHouse native address host:port." default:"127.0.0.1:9000" env:"MALLBOTS_CLICKHOUSE"`
	Timeout    time.Duration `help:"Give up after this long (a server still starting is waited for)." default:"2m"`
	Cluster    string        `name:"clickhouse-cluster" help:"Run every migration ON CLUSTER this cluster (a remote_servers entry of every server) with Replicated tables; the servers need ZooKeeper and the {shard} and {replica} macros (docs/operations.md, ClickHouse on a cluster). Empty: one server, plain tables." env:"MALLBOTS_CLICKHOUSE_CLUSTER"`
}

func (m *migrateCmd) Run(log *slog.Logger) error {
	if err := warehouse.CheckClusterName(m.Cluster); err != nil {
		return fmt.Errorf("--clickhouse-cluster: %w", err)
	}
	user, password, err := clickHouseCredentials("default")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.Timeout)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{m.Clickhouse}, DialTimeout: 5 * time.Second,
		Auth: clickhouse.Auth{Username: user, Password: password}})
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		err = conn.Ping(ctx)
		if err == nil {
			break
		}
		log.Info("waiting for ClickHouse", "addr", m.Clickhouse, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("reach ClickHouse at %s as %s (--clickhouse, MALLBOTS_CLICKHOUSE_USER): %w", m.Clickhouse, user, err)
		case <-time.After(time.Second):
		}
	}
	var opts []warehouse.MigrateOption
	if m.Cluster != "" {
		opts = append(opts, warehouse.OnCluster(m.Cluster))
	}
	applied, err := warehouse.Migrate(ctx, conn, log, opts...)
	for _, name := range applied {
		fmt.Println("applied", name)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d migrations applied; the schema is current\n", len(applied))
	return nil
}
