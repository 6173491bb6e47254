package warehouse

import "sync/atomic"

// Stats counts what a Projector has done since it was made.
type Stats struct {
	Records        int64 // records applied and committed (skipped ones included)
	Rows           int64 // rows inserted
	Flushes        int64 // batches that landed
	Skipped        int64 // records skipped by a Map error, a row that did not fit or the Guard
	InsertFailures int64 // insert attempts ClickHouse refused (each retried)
	CommitFailures int64 // commits Kafka refused after the rows landed
	Conflicts      int64 // records refused by the Guard: their key is held with other content
}

type counters struct {
	records, rows, flushes, skipped, insertFailures, commitFailures, conflicts atomic.Int64
}

// Stats returns the counters; safe to call from any goroutine.
func (p *Projector) Stats() Stats {
	c := &p.stats
	return Stats{
		Records:        c.records.Load(),
		Rows:           c.rows.Load(),
		Flushes:        c.flushes.Load(),
		Skipped:        c.skipped.Load(),
		InsertFailures: c.insertFailures.Load(),
		CommitFailures: c.commitFailures.Load(),
		Conflicts:      c.conflicts.Load(),
	}
}
