package topics

import (
	"errors"
	"fmt"
	"strings"
)

// Class groups the catalogue's topics by what losing a record of one costs,
// which decides how it is replicated (Durability) and which guarantees its
// configs add (admin.Configs).
type Class string

const (
	// ClassEventLog: the aggregates' events and the notifications sent,
	// the system of record. A lost record is lost history: never elect an
	// out-of-sync replica leader (unclean.leader.election.enable=false).
	ClassEventLog Class = "event log"
	// ClassTable: goka's compacted state tables, rebuildable from the log
	// (mallbots replay --table) but only slowly.
	ClassTable Class = "table"
	// ClassCommands: what a processor group decides on (commands, the
	// saga's replies); a lost one is a request accepted and never done.
	ClassCommands Class = "commands"
	// ClassResults: the outcome of each command, which a caller waits for.
	ClassResults Class = "results"
	// ClassDeadLetters: records that could not be handled, kept forever:
	// the only copy of what a producer sent wrong.
	ClassDeadLetters Class = "dead letters"
	// ClassInternal: the infrastructure's own topics (the schema registry's
	// log).
	ClassInternal Class = "internal"
)

// Classes lists every class, in the order the docs show them.
func Classes() []Class {
	return []Class{ClassEventLog, ClassTable, ClassCommands, ClassResults, ClassDeadLetters, ClassInternal}
}

// Replication is how many brokers hold a topic's partitions (Factor) and how
// many of them must have a record before a producer with acks=all hears it
// was written (MinInsync, the topic's min.insync.replicas).
type Replication struct {
	Factor    int16
	MinInsync int
}

func (r Replication) String() string {
	return fmt.Sprintf("replication factor %d, min.insync.replicas %d", r.Factor, r.MinInsync)
}

// Durability is how one cluster replicates each class of topic. Build it
// with ForCluster (the flags --replication-factor and --min-insync-replicas)
// or SingleBroker; the zero value replicates nothing and fails Validate.
type Durability struct {
	EventLog, Table, Commands, Results, DeadLetters, Internal Replication
}

// For is the replication of a class.
func (d Durability) For(c Class) Replication {
	switch c {
	case ClassEventLog:
		return d.EventLog
	case ClassTable:
		return d.Table
	case ClassCommands:
		return d.Commands
	case ClassResults:
		return d.Results
	case ClassDeadLetters:
		return d.DeadLetters
	case ClassInternal:
		return d.Internal
	}
	return Replication{}
}

// Of is the replication of a topic of the catalogue.
func (d Durability) Of(t Topic) Replication { return d.For(t.Class) }

// ForCluster replicates every class factor times with min.insync.replicas
// minInsync: every class carries something MallBots cannot recompute
// cheaply (the tables are rebuilt from the log only by a replay, a result or
// a command lost is a request lost), so none is replicated less. A factor or
// min ISR of 0 means the default for a cluster of brokers brokers: factor
// min(3, brokers) and min ISR factor-1 (at least 1), so that one broker may
// be down while producers with acks=all still write.
func ForCluster(brokers int, factor int16, minInsync int) Durability {
	if factor == 0 {
		factor = int16(min(3, max(brokers, 1)))
	}
	if minInsync == 0 {
		minInsync = max(int(factor)-1, 1)
	}
	r := Replication{Factor: factor, MinInsync: minInsync}
	return Durability{EventLog: r, Table: r, Commands: r, Results: r, DeadLetters: r, Internal: r}
}

// SingleBroker is the durability of the embedded broker: one copy of
// everything. One lost disk loses the event log; docs/operations.md
// describes moving to a cluster.
func SingleBroker() Durability { return ForCluster(1, 1, 1) }

// String says each class's replication, once for all when they agree.
func (d Durability) String() string {
	var parts []string
	same := true
	for _, c := range Classes() {
		parts = append(parts, fmt.Sprintf("%s: %s", c, d.For(c)))
		same = same && d.For(c) == d.EventLog
	}
	if same {
		return "every class: " + d.EventLog.String()
	}
	return strings.Join(parts, "; ")
}

// Validate reports every class whose replication cannot work on a cluster
// of brokers brokers (0: the size is unknown and not checked): a factor
// below 1 or above the brokers, a min ISR below 1 or above the factor
// (which would refuse every acks=all write).
func (d Durability) Validate(brokers int) error {
	var errs []error
	for _, c := range Classes() {
		r := d.For(c)
		switch {
		case r.Factor < 1:
			errs = append(errs, fmt.Errorf("%s: replication factor %d, want at least 1 (--replication-factor)", c, r.Factor))
		case brokers > 0 && int(r.Factor) > brokers:
			errs = append(errs, fmt.Errorf("%s: replication factor %d on a cluster of %d brokers (lower --replication-factor, or add brokers)", c, r.Factor, brokers))
		}
		switch {
		case r.MinInsync < 1:
			errs = append(errs, fmt.Errorf("%s: min.insync.replicas %d, want at least 1 (--min-insync-replicas)", c, r.MinInsync))
		case r.MinInsync > int(r.Factor) && r.Factor >= 1:
			errs = append(errs, fmt.Errorf("%s: min.insync.replicas %d above the replication factor %d would refuse every write (--min-insync-replicas)", c, r.MinInsync, r.Factor))
		}
	}
	return errors.Join(errs...)
}
