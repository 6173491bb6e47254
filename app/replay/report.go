package replay

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// TypeReport is what Verify found for one aggregate type.
type TypeReport struct {
	Type       string `json:"type"`
	EventTopic string `json:"eventTopic"`
	Table      string `json:"table"`
	// Events is the number of records read from the event topic.
	Events int64 `json:"events"`
	// Aggregates is the number of aggregates in the log.
	Aggregates int `json:"aggregates"`
	// Duplicates counts copies of an event (same id, same version) that a
	// redelivery logged again: allowed, skipped (ADR 0004).
	Duplicates int64 `json:"duplicates"`
	// Unchained counts events without a hash logged before their
	// aggregate's first chained one: history from before the chain,
	// adopted as it is (docs/adr/0021).
	Unchained int64 `json:"unchained"`
	// Resumed is set when the audit went on from a checkpoint: only new
	// records were read and the table was not compared.
	Resumed bool `json:"resumed,omitempty"`
	// Snapshots is the number of aggregates in the state table; Matching,
	// how many of them equal the fold of their events.
	Snapshots     int           `json:"snapshots"`
	Matching      int           `json:"matching"`
	Discrepancies []Discrepancy `json:"discrepancies"`
}

// Report is what Verify found.
type Report struct {
	Types []TypeReport  `json:"types"`
	Took  time.Duration `json:"took"`
	// Checkpoint is where the next audit resumes (VerifyFrom).
	Checkpoint *Checkpoint `json:"-"`
}

// Discrepancies lists every discrepancy of every type.
func (r *Report) Discrepancies() []Discrepancy {
	var out []Discrepancy
	for _, t := range r.Types {
		out = append(out, t.Discrepancies...)
	}
	return out
}

// MaxListed bounds how many discrepancies Print lists; it always counts
// them all.
const MaxListed = 50

// Print writes the report: a line of counts per type, the totals, and the
// discrepancies (at most MaxListed).
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tevents\taggregates\tduplicates\tunchained\tsnapshots\tmatching\tdiscrepancies\t")
	var sum TypeReport
	for _, t := range r.Types {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", t.Type, t.Events, t.Aggregates, t.Duplicates, t.Unchained, t.Snapshots, t.Matching, len(t.Discrepancies))
		sum.Events += t.Events
		sum.Aggregates += t.Aggregates
		sum.Duplicates += t.Duplicates
		sum.Unchained += t.Unchained
		sum.Snapshots += t.Snapshots
		sum.Matching += t.Matching
	}
	all := r.Discrepancies()
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", sum.Events, sum.Aggregates, sum.Duplicates, sum.Unchained, sum.Snapshots, sum.Matching, len(all))
	_ = tw.Flush()
	fmt.Fprintf(w, "\nchecked in %s: ", r.Took.Round(time.Millisecond))
	if len(all) == 0 {
		fmt.Fprintln(w, "no discrepancies: every aggregate's versions are 1..n in its log, each chained event is the hash of its bytes and follows its predecessor's, and every state table equals the fold of its events")
		return
	}
	fmt.Fprintln(w, Count(len(all), "discrepancy", "discrepancies"))
	for i, d := range all {
		if i == MaxListed {
			fmt.Fprintf(w, "  … and %d more\n", len(all)-MaxListed)
			break
		}
		fmt.Fprintln(w, "  "+d.String())
	}
}

// Count says "1 discrepancy", "2 discrepancies".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
