package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/mallbots/mallbots/topics"
)

// checkLoss proves zero loss over the whole run. Every command the bench
// sent (registrations, the aggregate stage, the latency runs, the
// pipeline) is valid and must be applied exactly once, appending exactly
// one event: so the customer event log holds one event per command sent,
// mallbots.events one distinct row per event, and mallbots.customers one
// row per customer whose versions add up to the commands sent. A failed
// check is a failed run.
func (e *env) checkLoss(ctx context.Context) error {
	events, err := e.kafka.endSum(ctx, topics.Customers.Events.Name)
	if err != nil {
		return err
	}
	results, err := e.kafka.endSum(ctx, topics.Results.Name)
	if err != nil {
		return err
	}
	e.report.check("event log", events == e.sent, "%d commands sent, %d events in %s", e.sent, events, topics.Customers.Events.Name)
	e.report.check("results", results >= e.sent, "%d commands sent, %d results", e.sent, results)

	// The state projection trails the events projection by its own flush.
	var rows, distinct, customers, versions uint64
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := e.ch.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM mallbots.events FINAL WHERE aggregate_type = 'customer'").Scan(&rows, &distinct); err != nil {
			return fmt.Errorf("count events in ClickHouse: %w", err)
		}
		if err := e.ch.QueryRow(ctx, "SELECT count(), sum(version) FROM mallbots.customers FINAL").Scan(&customers, &versions); err != nil {
			return fmt.Errorf("count customers in ClickHouse: %w", err)
		}
		if (int64(distinct) == e.sent && int64(versions) == e.sent) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	e.report.check("clickhouse events", int64(rows) == e.sent && int64(distinct) == e.sent,
		"%d commands sent, %d rows in mallbots.events (FINAL), %d distinct event ids", e.sent, rows, distinct)
	e.report.check("clickhouse state", int64(customers) == int64(e.cfg.Keys) && int64(versions) == e.sent,
		"%d customers registered, %d rows in mallbots.customers (FINAL) whose versions add up to %d", e.cfg.Keys, customers, versions)
	if failed := e.report.Failed(); len(failed) > 0 {
		e.out.line("  LOSS: %d checks failed", len(failed))
	} else {
		e.out.line("  %s commands, each applied once, each event in the log and in ClickHouse", thousands(float64(e.sent)))
	}
	return nil
}
