package replay

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// foldOptions say how much of an event topic to fold.
type foldOptions struct {
	only       string    // one aggregate id: records with another key are skipped undecoded
	until      time.Time // stop each aggregate at this instant (zero: fold all)
	keepRecent bool      // remember the last commands' events (rebuild)
	progress   io.Writer
	// chain, when set, checks every aggregate's hash chain under it
	// (verify); nil leaves the chain unchecked.
	chain *serde.Chain
	// from resumes an audit at a checkpoint: only the records after it are
	// read, each aggregate's chain goes on from its head, and no state is
	// folded.
	from *TypeCheckpoint
}

// logFold is an event topic folded into one stream per aggregate.
type logFold struct {
	k       kind
	sd      *serde.Serde
	opts    foldOptions
	streams map[string]*stream
	// records counts every record read; problems are those of records that
	// belong to no aggregate's stream (undecodable, misplaced).
	records  int64
	problems []Discrepancy
	// last is the last record read on each partition.
	last map[int32]PartitionAudited
	// spans are the offsets read.
	spans map[int32]span
}

func newLogFold(k kind, sd *serde.Serde, o foldOptions) *logFold {
	return &logFold{k: k, sd: sd, opts: o, streams: map[string]*stream{}, last: map[int32]PartitionAudited{}}
}

// foldLog reads the aggregate's whole event topic (or, with only, the one
// partition its id hashes to) and folds it.
func (l *Log) foldLog(ctx context.Context, k kind, o foldOptions) (*logFold, error) {
	topic := k.names().Events
	var partitions []int32
	if o.only != "" {
		partitions = []int32{topics.PartitionFor(o.only, topic.Partitions)}
	}
	spans, err := l.spans(ctx, topic.Name, partitions...)
	if err != nil {
		return nil, err
	}
	f := newLogFold(k, l.sd, o)
	f.checkStarts(topic.Name, spans)
	f.resume(topic.Name, spans)
	f.spans = spans
	m := startMeter(o.progress, "read "+topic.Name, total(spans))
	err = l.read(ctx, topic.Name, spans, m, func(rec *kgo.Record) error {
		f.record(ctx, rec)
		return nil
	})
	m.finish()
	if err != nil {
		return nil, err
	}
	f.finish()
	return f, nil
}

// checkStarts flags partitions whose log no longer starts at offset 0: an
// event log kept forever never loses its head.
func (f *logFold) checkStarts(topic string, spans map[int32]span) {
	for p, s := range spans {
		if s.from > 0 {
			f.problems = append(f.problems, Discrepancy{Type: f.k.names().Type, Problem: ProblemTruncated,
				Where:  serde.Position{Topic: topic, Partition: p, Offset: s.from}.String(),
				Detail: fmt.Sprintf("lost history: the partition starts at offset %d, so the records at offsets 0..%d were deleted (retention or DeleteRecords)", s.from, s.from-1)})
		}
	}
}

func (f *logFold) problem(p Problem, id string, pos serde.Position, format string, args ...any) {
	f.problems = append(f.problems, Discrepancy{Type: f.k.names().Type, ID: id, Problem: p, Where: pos.String(), Detail: fmt.Sprintf(format, args...)})
}

// record takes one record of the event topic.
func (f *logFold) record(ctx context.Context, rec *kgo.Record) {
	f.records++
	key := string(rec.Key)
	if f.opts.only != "" && key != f.opts.only {
		return
	}
	pos := serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
	if rec.Value == nil {
		f.problem(ProblemRecord, key, pos, "a tombstone on an event topic: events are never deleted")
		return
	}
	v, err := f.sd.Decode(ctx, pos, rec.Value)
	if err != nil {
		f.problem(ProblemRecord, key, pos, "%v", err)
		return
	}
	ev, ok := v.(schemas.Event)
	if !ok || !f.k.isEvent(ev) {
		f.problem(ProblemRecord, key, pos, "holds a %T, not a %s event", v, f.k.names().Type)
		return
	}
	m := ev.EventMetadata()
	f.last[rec.Partition] = PartitionAudited{Offset: rec.Offset, EventID: m.EventID, Hash: m.Hash}
	l := logged{ev: ev, raw: rec.Value, pos: pos, digest: sha256.Sum256(rec.Value)}
	if f.opts.chain != nil {
		link, err := f.sd.LinkOf(ctx, rec.Value, ev, *f.opts.chain)
		if err != nil {
			f.problem(ProblemHash, m.AggregateID, pos, "the chain's hash cannot be read: %v", err)
			return
		}
		l.link = &link
	}
	if key != m.AggregateID {
		f.problem(ProblemKey, m.AggregateID, pos, "the record key is %q, the event's aggregateId %q", key, m.AggregateID)
	}
	if want := topics.PartitionFor(m.AggregateID, f.k.names().Events.Partitions); want != rec.Partition {
		f.problem(ProblemPartition, m.AggregateID, pos, "the event is on partition %d, its aggregate's partition is %d (murmur2): its order with the aggregate's other events is lost", rec.Partition, want)
	}
	s, ok := f.streams[m.AggregateID]
	if !ok {
		s = newStream(f.k, m.AggregateID)
		s.until, s.keepRecent = f.opts.until, f.opts.keepRecent
		s.keepChanges = f.opts.only != "" // one aggregate's history (AsOf)
		f.streams[m.AggregateID] = s
	}
	s.add(l)
}

func (f *logFold) finish() {
	for _, s := range f.streams {
		s.finish()
	}
}

// unchained counts the events written before the chain began.
func (f *logFold) unchained() int64 {
	var n int64
	for _, s := range f.streams {
		n += s.unchained
	}
	return n
}

// duplicates counts the redelivered copies skipped.
func (f *logFold) duplicates() int64 {
	var n int64
	for _, s := range f.streams {
		n += s.duplicates
	}
	return n
}

// allProblems lists the fold's problems, the records' first, then each
// aggregate's in id order.
func (f *logFold) allProblems() []Discrepancy {
	out := append([]Discrepancy(nil), f.problems...)
	for _, id := range sortedKeys(f.streams) {
		out = append(out, f.streams[id].problems...)
	}
	return out
}
