package enginetest

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// EventLog is an engine.LogReader holding the records a test puts in it,
// for specifications that start where a crash left things (WithEventLog).
// Its end offsets are past every command goka's tester delivers, so every
// command counts as possibly handled before, as after a fresh assignment.
type EventLog struct {
	Records []*kgo.Record
	// CommittedOffset is the group's committed offset on the command
	// partition; 0 (the default) says nothing is committed.
	CommittedOffset int64
}

// Committed implements engine.LogReader.
func (l *EventLog) Committed(context.Context, string, string) (map[int32]int64, error) {
	if l.CommittedOffset == 0 {
		return map[int32]int64{}, nil
	}
	return map[int32]int64{0: l.CommittedOffset}, nil
}

// EndOffset implements engine.LogReader.
func (l *EventLog) EndOffset(context.Context, string, int32) (int64, error) { return 1 << 40, nil }

// Since implements engine.LogReader: the records of topic, whatever the
// time and partition (goka's tester runs one).
func (l *EventLog) Since(_ context.Context, topic string, _ int32, _ time.Time, fn func(*kgo.Record)) error {
	for _, rec := range l.Records {
		if rec.Topic == topic {
			fn(rec)
		}
	}
	return nil
}

// Between implements engine.LogReader. The log holds no commands (goka's
// tester delivers them), so it answers a read of any other topic as if
// every aggregate its records name had a command there: every aggregate
// counts as a redelivered command's, as every command counts as possibly
// handled before.
func (l *EventLog) Between(_ context.Context, topic string, _ int32, from, to int64, fn func(*kgo.Record)) error {
	held := false
	for _, rec := range l.Records {
		if rec.Topic == topic {
			held = true
			if rec.Offset >= from && rec.Offset < to {
				fn(rec)
			}
		}
	}
	if held {
		return nil
	}
	for i, rec := range l.Records {
		fn(&kgo.Record{Topic: topic, Key: rec.Key, Offset: from + int64(i)})
	}
	return nil
}
