package replay

import "fmt"

// Problem is a kind of discrepancy between what the log promises and what
// it holds, or between a state table and the log.
type Problem string

// The problems Verify and Rebuild report.
const (
	// The event log.
	ProblemRecord    Problem = "record"    // a record that is not a decodable event of the topic's aggregate
	ProblemKey       Problem = "key"       // the record key is not the event's aggregateId
	ProblemPartition Problem = "partition" // the record is not on the partition its key hashes to (murmur2)
	ProblemTruncated Problem = "truncated" // lost history: the event topic no longer starts at offset 0 (or ends before an audit's checkpoint)
	ProblemTopic     Problem = "topic"     // the topic differs from the catalogue (an event log not kept forever, …)
	ProblemVersion   Problem = "version"   // an event version below 1
	ProblemConflict  Problem = "conflict"  // two different events carry one version
	ProblemGap       Problem = "gap"       // a version is missing
	ProblemOrder     Problem = "order"     // a version is logged after a later one
	ProblemEvolve    Problem = "evolve"    // the aggregate's rules refuse an event
	ProblemAltered   Problem = "altered"   // a record with an event's id and other bytes: a changed copy, never a duplicate
	// The hash chain (docs/adr/0021).
	ProblemHash      Problem = "hash"      // a chained event's hash is not the hash of its bytes (altered, or forged without the key)
	ProblemLink      Problem = "link"      // a chained event's prevHash is not the previous version's hash
	ProblemUnchained Problem = "unchained" // an event without a hash after a chained one: not written by the processors
	ProblemAudited   Problem = "audited"   // an event older than a checkpoint's head, logged after the checkpoint
	// A state table against the log (or a rebuilt table against the live one).
	ProblemTableRecord  Problem = "table-record"  // a table record that is not a decodable snapshot of its key
	ProblemTableMissing Problem = "table-missing" // the log has the aggregate, the table does not
	ProblemTableExtra   Problem = "table-extra"   // the table has an aggregate the log does not
	ProblemTableVersion Problem = "table-version" // the table's version is not the log's
	ProblemTableState   Problem = "table-state"   // same version, different state
	ProblemTableHash    Problem = "table-hash"    // same version, the snapshot's lastHash is not the log's last hash
)

// Discrepancy is one thing found wrong.
type Discrepancy struct {
	Type    string  `json:"type"` // aggregate type
	ID      string  `json:"id,omitempty"`
	Problem Problem `json:"problem"`
	// Where is the record it was found at (topic/partition@offset), if one.
	Where  string `json:"where,omitempty"`
	Detail string `json:"detail"`
}

func (d Discrepancy) String() string {
	s := fmt.Sprintf("%-13s %s", d.Problem, d.Type)
	if d.ID != "" {
		s += " " + d.ID
	}
	if d.Where != "" {
		s += " at " + d.Where
	}
	return s + ": " + d.Detail
}
