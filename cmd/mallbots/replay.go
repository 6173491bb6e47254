package main

import (
	"errors"
	"time"
)

// replayCmd rebuilds what the event log determines: a ClickHouse table
// (--projection), an aggregate's state table (--table), or one aggregate as
// it was at an instant (--aggregate with --until).
type replayCmd struct {
	Projection string    `help:"Rebuild a ClickHouse projection (events, state, notifications, search, analytics) or one of its tables (e.g. orders) from the log into new tables and swap them in; the live projection keeps running." xor:"what"`
	Table      string    `help:"Rebuild an aggregate's state table (its goka group, e.g. mallbots.orders) from its event topic." xor:"what"`
	Aggregate  string    `help:"Print one aggregate as the log says it was, TYPE/ID (e.g. order/3f0c…); with --until." xor:"what"`
	Until      time.Time `help:"With --aggregate: the instant (RFC 3339); default now."`
	Force      bool      `help:"With --table: write the live table even while its group has active members."`
	DryRun     bool      `help:"With --table: rebuild and compare, but leave the live table alone."`
	eventLogFlags
	Clickhouse string `help:"ClickHouse native address (for --projection)." default:"127.0.0.1:9000" env:"MALLBOTS_CLICKHOUSE"`
}

func (r *replayCmd) Run() error {
	switch {
	case r.Projection != "":
		return r.replayProjection()
	case r.Table != "":
		return r.replayTable()
	case r.Aggregate != "":
		return r.timeTravel()
	}
	return errors.New("say what to replay: --projection NAME, --table GROUP, or --aggregate TYPE/ID [--until TIME]")
}
