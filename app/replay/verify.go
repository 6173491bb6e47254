package replay

import (
	"context"
	"io"
	"time"

	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// VerifyOption configures Verify.
type VerifyOption func(*verifyConfig)

type verifyConfig struct {
	types    []string
	progress io.Writer // nil: none
	chain    serde.Chain
	from     *Checkpoint
}

// VerifyChainKey checks the hash chain as keyed with key (HMAC-SHA-256),
// as the processors seal it with engine.WithChainKey. Default none: plain
// SHA-256. With the wrong key every chained event is reported.
func VerifyChainKey(key []byte) VerifyOption {
	return func(c *verifyConfig) { c.chain = serde.NewChain(key) }
}

// VerifyFrom resumes an audit at cp (ReadCheckpoint; nil: from the start):
// only the records after it are read, each aggregate's chain goes on from
// the head cp recorded, and the state tables are not compared (their fold
// needs every event). The Report's Checkpoint is where to resume next.
func VerifyFrom(cp *Checkpoint) VerifyOption { return func(c *verifyConfig) { c.from = cp } }

// VerifyTypes limits the check to some aggregate types or groups. Default
// all.
func VerifyTypes(types ...string) VerifyOption { return func(c *verifyConfig) { c.types = types } }

// VerifyProgress sends a line per second of each long read to w. Default:
// none.
func VerifyProgress(w io.Writer) VerifyOption { return func(c *verifyConfig) { c.progress = w } }

// Verify checks the whole event log and every state table against it, one
// aggregate type at a time:
//   - each event topic is configured as the catalogue says (kept forever)
//     and still starts at offset 0;
//   - every record is an event of its aggregate, keyed by its aggregateId,
//     on the partition that key hashes to;
//   - per aggregate the versions are 1..n, in order, without gap and
//     without two different events at one version (copies of one event,
//     as a redelivery may log, are skipped and counted);
//   - per aggregate the events chain (docs/adr/0021): each chained event's
//     hash is the hash of its bytes and its prevHash the previous
//     version's hash; no unchained event follows a chained one; two
//     records of one event id with different bytes are an altered copy;
//   - the rules accept every event;
//   - the state table holds exactly the aggregates of the log, each at the
//     version and with the state its events fold to.
//
// The table's end is taken before the log's, so a snapshot is never newer
// than the events read. Run it on a quiet system: a command in flight can
// show as a table one version behind its log. It returns an error only
// when Kafka cannot be read; what it finds is in the Report.
func (l *Log) Verify(ctx context.Context, opts ...VerifyOption) (*Report, error) {
	var o verifyConfig
	for _, opt := range opts {
		opt(&o)
	}
	ks, err := selectKinds(o.types)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	r := &Report{Checkpoint: &Checkpoint{Types: map[string]*TypeCheckpoint{}}}
	if o.from != nil {
		for t, cp := range o.from.Types {
			r.Checkpoint.Types[t] = cp
		}
	}
	for _, k := range ks {
		tr, cp, err := l.verifyKind(ctx, k, &o)
		if err != nil {
			return nil, err
		}
		r.Types = append(r.Types, *tr)
		if cp != nil {
			r.Checkpoint.Types[tr.Type] = cp
		}
	}
	r.Took = time.Since(start)
	return r, nil
}

func (l *Log) verifyKind(ctx context.Context, k kind, o *verifyConfig) (*TypeReport, *TypeCheckpoint, error) {
	a := k.names()
	tr := &TypeReport{Type: a.Type, EventTopic: a.Events.Name, Table: a.Table.Name}
	drift, err := admin.Check(ctx, l.adm, []topics.Topic{a.Events, a.Table})
	if err != nil {
		return nil, nil, err
	}
	for _, d := range drift {
		tr.Discrepancies = append(tr.Discrepancies, Discrepancy{Type: a.Type, Problem: ProblemTopic, Where: d.Topic, Detail: d.String()})
	}
	if len(drift) > 0 && drift[0].What == "missing" {
		return tr, nil, nil
	}
	var from *TypeCheckpoint
	if o.from != nil {
		from = o.from.Types[a.Type]
	}
	if from != nil {
		// A resumed audit: the chain from the checkpoint on, no table.
		f, err := l.foldLog(ctx, k, foldOptions{progress: o.progress, chain: &o.chain, from: from})
		if err != nil {
			return nil, nil, err
		}
		tr.Events, tr.Aggregates, tr.Duplicates, tr.Unchained = f.records, len(f.streams), f.duplicates(), f.unchained()
		tr.Discrepancies = append(tr.Discrepancies, f.allProblems()...)
		tr.Resumed = true
		return tr, f.checkpoint(a.Events.Name, f.spans), nil
	}
	// The table first: what it holds was written before the events read next.
	tableSpans, err := l.spans(ctx, a.Table.Name)
	if err != nil {
		return nil, nil, err
	}
	f, err := l.foldLog(ctx, k, foldOptions{progress: o.progress, chain: &o.chain})
	if err != nil {
		return nil, nil, err
	}
	t, err := l.readTableSpans(ctx, k, a.Table.Name, tableSpans, o.progress)
	if err != nil {
		return nil, nil, err
	}
	tr.Events, tr.Aggregates, tr.Duplicates, tr.Snapshots = f.records, len(f.streams), f.duplicates(), len(t.entries)
	tr.Unchained = f.unchained()
	tr.Discrepancies = append(tr.Discrepancies, f.allProblems()...)
	matching, problems := compare(k, f.expected(), t, f.unsound())
	tr.Matching = matching
	tr.Discrepancies = append(tr.Discrepancies, problems...)
	return tr, f.checkpoint(a.Events.Name, f.spans), nil
}

// unsound are the aggregates whose log is reported broken: their
// snapshots are not judged against it.
func (f *logFold) unsound() map[string]bool {
	out := map[string]bool{}
	for id, s := range f.streams {
		if !s.sound() {
			out[id] = true
		}
	}
	return out
}

// expected is what the state table should hold: the fold of every
// aggregate whose log is sound (an unsound one is reported once, for its
// log, and its snapshot is not judged against a broken fold).
func (f *logFold) expected() map[string]tableValue {
	out := make(map[string]tableValue, len(f.streams))
	for id, s := range f.streams {
		if s.sound() && s.version > 0 {
			out[id] = tableValue{id: id, version: s.version, state: s.state, lastHash: s.lastHash}
		}
	}
	return out
}
