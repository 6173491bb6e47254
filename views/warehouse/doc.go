// Package warehouse owns MallBots' ClickHouse warehouse: the schema (SQL
// migrations embedded in the binary, applied by Migrate) and the projector
// engine that fills it.
//
// A Projector consumes Kafka event topics as a consumer group and produces
// rows in ClickHouse tables: a caller-supplied Map turns each record into
// rows, rows are batched by count and time, each table's rows go in with one
// column-listed batch insert, and offsets are committed only after every
// insert of the batch succeeded. Delivery is at least once; the tables are
// ReplacingMergeTree keyed by aggregate identity and version, so a
// redelivered record changes nothing for readers that use FINAL.
//
// All SQL here runs on ClickHouse 18.16 (Debian's package) and on current
// releases; see the migration files for the few places where that matters.
package warehouse
