package engine

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics/admin"
)

// After a crash or a rebalance, goka redelivers the commands since the
// last committed offset. Some of them were fully handled, some had their
// events written but not their state, some had their state written but
// not (all) their events. Re-emitting blindly would double events in the
// log, which is kept forever and must hold versions 1..n exactly once.
//
// So each partition, when goka (re)assigns it, remembers the end offset of
// its command partition: the commands below it are suspects. The first
// suspect loads the event partition's tail from shortly before that
// command was produced, indexed by command id. A suspect whose events are
// in the log adopts them (aggregate.Input.Logged) and only the events the
// log lacks are emitted. Commands past the end offset are new and cost
// nothing. See docs/adr/0004.
//
// The tail keeps only the events of the suspects' aggregates: the keys of
// the command records from the first suspect up to suspectBelow are read
// first, and the minute of the event partition is streamed past them,
// each kept event copied out of its fetch response. Kept whole, the minute
// was most of the pipeline's live heap at a new instance's start: at tens
// of thousands of events a second it is hundreds of thousands of records a
// partition, each pinning its fetch response (docs/benchmarks.md, issue
// 27). The suspects are the commands since the group's last commit, a few
// seconds' worth. The tail is released as soon as the assignment
// is past its suspects: goka hands a partition's records to its callback in
// offset order, once per assignment, so once the last suspect (or any
// record at or past suspectBelow) was handled, no record of this
// assignment needs it. A redelivery comes with a new assignment, hence a
// new session, which reads the tail again; were a suspect to arrive after
// the release anyway, it reads the tail again too. A revoked assignment's
// session is dropped when goka ends its context.

// LogReader reads what the broker holds. Nil disables reconciliation
// (goka's tester, which has no broker).
type LogReader interface {
	// EndOffset is the next offset to be written to a partition.
	EndOffset(ctx context.Context, topic string, partition int32) (int64, error)
	// Since calls fn with each record of a partition from the first one
	// written at or after t up to the partition's end at the call, and
	// Between with each at an offset in [from, to), in offset order. fn
	// must copy what it keeps of a record: its key and value are slices of
	// a fetch response, which they would keep alive whole.
	Since(ctx context.Context, topic string, partition int32, t time.Time, fn func(*kgo.Record)) error
	Between(ctx context.Context, topic string, partition int32, from, to int64, fn func(*kgo.Record)) error
	// Committed returns a group's committed offsets on a topic by
	// partition; a partition the group never committed is absent.
	Committed(ctx context.Context, group, topic string) (map[int32]int64, error)
}

// logMargin covers clock skew between the command's producer and the
// processor that emitted its events.
const logMargin = time.Minute

type session struct {
	// done identifies one partition assignment: the Done channel of goka's
	// context for it. Not the context itself: a callback wrapper (tracing)
	// hands each record a context derived from it, and derived value
	// contexts share their parent's Done channel.
	done         <-chan struct{}
	suspectBelow int64
	// logged is the log's tail by aggregate and command id: nil until the
	// first suspect loads it, and again once the assignment is past its
	// suspects (handler.release).
	logged map[string][]loggedEvent
	// released counts the loads given up, to tell a reload after one.
	released int
}

type loggedEvent struct {
	id    string
	value []byte
	event schemas.Event
}

type sessions struct {
	mu sync.Mutex
	by map[int32]*session
}

// logged returns the events the log already holds for a command at this
// position, by id and in order; both are nil for a new command (no check
// was needed) or when reconciliation is off.
func (h *handler[S, C, E]) logged(ctx goka.Context, pos serde.Position, commandID string) (map[string]loggedEvent, []loggedEvent, error) {
	if h.rt.eventLog == nil {
		return nil, nil, nil
	}
	s, err := h.session(ctx, pos.Partition)
	if err != nil {
		return nil, nil, err
	}
	if pos.Offset >= s.suspectBelow {
		h.release(s, pos)
		return nil, nil, nil
	}
	if s.logged == nil {
		if s.released > 0 {
			// Not seen from goka, which delivers an assignment's records in
			// order: read the tail again rather than guess.
			h.rt.log.Warn("a redelivered command below a record already handled in the same assignment: reading the event log's tail again",
				"topic", pos.Topic, "partition", pos.Partition, "offset", pos.Offset, "suspect_below", s.suspectBelow)
		}
		if err := h.loadLog(ctx, s, pos); err != nil {
			return nil, nil, err
		}
	}
	evs := s.logged[loggedKey(string(ctx.Key()), commandID)]
	if pos.Offset == s.suspectBelow-1 {
		h.release(s, pos) // the last suspect; evs stays the caller's
	}
	present := make(map[string]loggedEvent, len(evs))
	for _, e := range evs {
		present[e.id] = e
	}
	return present, evs, nil
}

func (h *handler[S, C, E]) session(ctx goka.Context, partition int32) (*session, error) {
	h.sessions.mu.Lock()
	defer h.sessions.mu.Unlock()
	if h.sessions.by == nil {
		h.sessions.by = map[int32]*session{}
	}
	if s, ok := h.sessions.by[partition]; ok && s.done == ctx.Context().Done() {
		return s, nil
	}
	end, err := h.rt.eventLog.EndOffset(ctx.Context(), h.names.Commands.Name, partition)
	if err != nil {
		return nil, fmt.Errorf("find the end of %s/%d: %w", h.names.Commands.Name, partition, err)
	}
	s := &session{done: ctx.Context().Done(), suspectBelow: end}
	h.sessions.by[partition] = s
	if s.done != nil {
		go h.dropWhenRevoked(partition, s)
	}
	return s, nil
}

// release lets s's tail go, if loaded, once pos is past its suspects: no
// record of this assignment needs it any more.
func (h *handler[S, C, E]) release(s *session, pos serde.Position) {
	if s.logged == nil {
		return
	}
	s.logged = nil
	s.released++
	h.rt.log.Debug("released the event log tail: the partition is past its redelivered commands", "topic", pos.Topic,
		"partition", pos.Partition, "offset", pos.Offset, "suspect_below", s.suspectBelow)
}

// dropWhenRevoked forgets s, and the tail it may hold, when goka ends its
// assignment, unless a new assignment of the partition replaced it.
func (h *handler[S, C, E]) dropWhenRevoked(partition int32, s *session) {
	<-s.done
	h.sessions.mu.Lock()
	defer h.sessions.mu.Unlock()
	if h.sessions.by[partition] == s {
		delete(h.sessions.by, partition)
	}
}

// loadLog reads the event partition's tail for the suspects from pos (the
// first one this session handles) up to suspectBelow.
func (h *handler[S, C, E]) loadLog(ctx goka.Context, s *session, pos serde.Position) error {
	keys, err := h.suspects(ctx, pos, s.suspectBelow)
	if err != nil {
		return err
	}
	since := ctx.Timestamp().Add(-logMargin)
	logged := map[string][]loggedEvent{}
	var read, kept int
	var derr error
	err = h.rt.eventLog.Since(ctx.Context(), h.names.Events.Name, pos.Partition, since, func(rec *kgo.Record) {
		read++
		if derr != nil {
			return
		}
		if _, suspect := keys[string(rec.Key)]; keys != nil && !suspect {
			return
		}
		value := bytes.Clone(rec.Value) // the decoded event may point into it
		v, err := h.rt.serde.Decode(ctx.Context(), serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}, value)
		if err != nil {
			derr = err
			return
		}
		ev, ok := v.(schemas.Event)
		if !ok {
			derr = fmt.Errorf("%s/%d@%d holds a %T, not an event", rec.Topic, rec.Partition, rec.Offset, v)
			return
		}
		m := ev.EventMetadata()
		k := loggedKey(m.AggregateID, m.CommandID)
		if dupOf(logged[k], m.EventID) {
			return
		}
		logged[k] = append(logged[k], loggedEvent{id: m.EventID, value: value, event: ev})
		kept++
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return fmt.Errorf("read the tail of %s/%d: %w", h.names.Events.Name, pos.Partition, err)
	}
	s.logged = logged
	h.rt.log.Debug("loaded the event log tail for redelivered commands", "topic", h.names.Events.Name, "partition", pos.Partition,
		"since", since, "events_read", read, "events_kept", kept, "suspect_aggregates", len(keys))
	return nil
}

// maxSuspects bounds the command records whose keys loadLog reads. Past it
// (a group that never committed, an offset reset) it keeps the events of
// every aggregate, as many as a minute of the log holds.
const maxSuspects = 1 << 18

// suspects returns the keys of the command records from pos up to
// suspectBelow: the aggregates whose events the tail keeps; nil for all.
func (h *handler[S, C, E]) suspects(ctx goka.Context, pos serde.Position, suspectBelow int64) (map[string]struct{}, error) {
	if suspectBelow-pos.Offset > maxSuspects {
		return nil, nil
	}
	keys := map[string]struct{}{}
	err := h.rt.eventLog.Between(ctx.Context(), pos.Topic, pos.Partition, pos.Offset, suspectBelow, func(rec *kgo.Record) {
		keys[string(rec.Key)] = struct{}{}
	})
	if err != nil {
		return nil, fmt.Errorf("read the redelivered commands of %s/%d: %w", pos.Topic, pos.Partition, err)
	}
	return keys, nil
}

// loggedKey indexes the log's tail by aggregate and command: a client that
// reuses one command id (Idempotency-Key) for two aggregates must not make
// the one adopt the events of the other (seen with three instances: a
// retried creation without an id became a second aggregate under the same
// command id).
func loggedKey(aggregateID, commandID string) string { return aggregateID + "\x00" + commandID }

func dupOf(evs []loggedEvent, id string) bool {
	for _, e := range evs {
		if e.id == id {
			return true
		}
	}
	return false
}

// KafkaLog is the LogReader on a real broker.
type KafkaLog struct {
	opts []kgo.Opt
	adm  *kadm.Client
	cl   *kgo.Client
}

// NewKafkaLog connects a LogReader with the given client options.
func NewKafkaLog(opts ...kgo.Opt) (*KafkaLog, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return &KafkaLog{opts: opts, adm: kadm.NewClient(cl), cl: cl}, nil
}

// Close closes the admin client.
func (k *KafkaLog) Close() { k.cl.Close() }

// EndOffset implements LogReader.
func (k *KafkaLog) EndOffset(ctx context.Context, topic string, partition int32) (int64, error) {
	ends, err := k.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	o, ok := ends.Lookup(topic, partition)
	if !ok {
		return 0, fmt.Errorf("no partition %s/%d", topic, partition)
	}
	return o.Offset, o.Err
}

// Committed implements LogReader.
func (k *KafkaLog) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	return admin.CommittedOffsets(ctx, k.adm, group, topic)
}

// Since implements LogReader.
func (k *KafkaLog) Since(ctx context.Context, topic string, partition int32, t time.Time, fn func(*kgo.Record)) error {
	starts, err := k.adm.ListOffsetsAfterMilli(ctx, t.UnixMilli(), topic)
	if err != nil {
		return err
	}
	start, ok := starts.Lookup(topic, partition)
	if !ok || start.Err != nil {
		return fmt.Errorf("find offsets after %s in %s/%d: %v", t, topic, partition, start.Err)
	}
	end, err := k.EndOffset(ctx, topic, partition)
	if err != nil {
		return err
	}
	return k.Between(ctx, topic, partition, start.Offset, end, fn)
}

// Between implements LogReader.
func (k *KafkaLog) Between(ctx context.Context, topic string, partition int32, from, to int64, fn func(*kgo.Record)) error {
	if from < 0 || from >= to {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), k.opts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().At(from)}}))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return ferr
		}
		done := false
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Offset < to {
				fn(r)
			}
			if r.Offset >= to-1 {
				done = true
			}
		})
		if done {
			return nil
		}
	}
}
