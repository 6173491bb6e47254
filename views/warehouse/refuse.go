package warehouse

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
)

// errDeadLetter marks a batch that did not land because Kafka refused the
// dead letters of its refused records: flush retries it like a refused
// insert, without counting an insert failure.
var errDeadLetter = errors.New("dead-letter the refused records")

// guard drops the rows the projection's Guard refuses, with their records:
// each is counted in Stats.Conflicts (and Skipped), logged with the reason,
// and marked for its dead letter.
func (p *Projector) guard(ctx context.Context, b *batch) error {
	if p.proj.Guard == nil || b.rows == 0 {
		return nil
	}
	var rows []Row
	var from []int // entry index of each row
	for i, e := range b.entries {
		for _, r := range e.rows {
			rows, from = append(rows, r), append(from, i)
		}
	}
	refused, err := p.proj.Guard(ctx, p.ch, rows)
	if err != nil {
		return fmt.Errorf("guard the insert: %w", err)
	}
	for i, why := range refused {
		e := &b.entries[from[i]]
		if why == nil || e.rows == nil {
			continue
		}
		p.stats.conflicts.Add(1)
		b.rows -= len(e.rows)
		e.rows, e.refused = nil, why.Error()
		if p.proj.DeadLetter == "" {
			p.skip(e.rec, why)
			continue
		}
		p.stats.skipped.Add(1)
		p.log.Error("refusing a record whose key the table holds with other content; it is dead-lettered and the partition goes on",
			"topic", e.rec.Topic, "partition", e.rec.Partition, "offset", e.rec.Offset, "key", string(e.rec.Key),
			"dead_letter_topic", p.proj.DeadLetter, "reason", e.refused)
	}
	return nil
}

// deadLetter copies each refused record of the batch not yet dead-lettered
// to the projection's DeadLetter topic, byte for byte under its key, with
// the reason and its origin in the headers the processors use
// (processors/engine's Record.DeadLetter), and waits until Kafka has them:
// the batch is committed only after its dead letters are written. A record
// redelivered after a crash between the two is refused and dead-lettered
// again.
func (p *Projector) deadLetter(ctx context.Context, cl *kgo.Client, b *batch) error {
	if p.proj.DeadLetter == "" {
		return nil
	}
	var recs []*kgo.Record
	var from []*entry
	for i := range b.entries {
		e := &b.entries[i]
		if e.refused == "" || e.deadLettered {
			continue
		}
		dl := &kgo.Record{Topic: p.proj.DeadLetter, Key: e.rec.Key, Value: e.rec.Value}
		for _, h := range topics.DeadLetterHeaders(e.refused, e.rec.Topic, e.rec.Partition, e.rec.Offset, p.proj.Group) {
			dl.Headers = append(dl.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
		}
		recs = append(recs, dl)
		from = append(from, e)
	}
	if len(recs) == 0 {
		return nil
	}
	var errs []error
	for i, r := range cl.ProduceSync(ctx, recs...) {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s/%d@%d: %w", from[i].rec.Topic, from[i].rec.Partition, from[i].rec.Offset, r.Err))
			continue
		}
		from[i].deadLettered = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w to %s (does the projector's principal have WRITE on it?): %w", errDeadLetter, p.proj.DeadLetter, err)
	}
	return nil
}
