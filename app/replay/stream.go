package replay

import (
	"fmt"
	"time"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
)

// logged is one event as the log holds it.
type logged struct {
	ev  schemas.Event
	raw []byte
	pos serde.Position
	// digest is the SHA-256 of the record's value: two records of one event
	// are copies only when their digests are equal.
	digest [32]byte
	// link is the record's place in its aggregate's hash chain, when the
	// fold checks the chain (nil otherwise).
	link *serde.Link
}

// stream folds one aggregate's events in the order the log holds them and
// guards the log's promise on the way: versions 1..n, each once. A copy of
// an event (same id, same version, the very same bytes: a redelivery
// re-emitted it) is skipped and counted; the same id with other bytes is
// an altered copy; a different event with a version already taken is a
// conflict; an event ahead of its turn waits for the versions before it
// (and is an order problem when they come later, a gap when they never
// do). State is folded, and the hash chain checked (docs/adr/0021), in
// version order either way.
type stream struct {
	k  kind
	id string
	// until, when set, stops applying at the first event (in version order)
	// that occurred after it: the state as it was at that instant.
	until time.Time
	// keepRecent remembers the last commands' events, for a rebuilt
	// snapshot's window (snapshot.go).
	keepRecent bool
	// keepChanges lists each applied event: who issued it, and when
	// (AsOf's Point.Changes).
	keepChanges bool
	changes     []Change

	version int64      // every version 1..version has been seen
	base    int64      // versions up to base were audited before (a checkpoint's head)
	head    Head       // the checkpoint's head, for version base
	ids     []string   // the event id of each version, by version-base-1
	offsets []int64    // where each version was first seen, by version-base-1
	digests [][32]byte // the digest of each version's record, by version-base-1
	ahead   map[int64]logged

	// The hash chain: lastHash is the recorded hash of the last version
	// ("" for an unchained one), chained whether any version had one.
	lastHash string
	chained  bool
	// unchained counts events without a hash before the first chained
	// one: history written before the chain, adopted as it is.
	unchained int64

	state   any
	applied int64     // the version state is at (≤ version)
	lastAt  time.Time // when the last applied event occurred
	firstAt time.Time // when v1 occurred
	halted  bool      // past until, or the rules refused an event
	recent  []schemas.Applied

	duplicates int64
	problems   []Discrepancy
}

func newStream(k kind, id string) *stream { return &stream{k: k, id: id} }

func (s *stream) problem(p Problem, pos serde.Position, format string, args ...any) {
	s.problems = append(s.problems, Discrepancy{Type: s.k.names().Type, ID: s.id, Problem: p, Where: pos.String(), Detail: fmt.Sprintf(format, args...)})
}

// add takes the next event of the aggregate in log order.
func (s *stream) add(l logged) {
	m := l.ev.EventMetadata()
	v := m.AggregateVersion
	switch {
	case v < 1:
		s.problem(ProblemVersion, l.pos, "event %s has version %d; versions start at 1", m.EventID, v)
	case v < s.base:
		s.problem(ProblemAudited, l.pos, "v%d (event %s) is logged after the checkpoint, which audited the aggregate up to v%d: a copy or a forgery, which only a full verify can tell",
			v, m.EventID, s.base)
	case v == s.base:
		s.copyOf(l, s.head.EventID, s.head.Offset, s.head.digest(), s.version)
	case v <= s.version:
		i := v - s.base - 1
		s.copyOf(l, s.ids[i], s.offsets[i], s.digests[i], s.version)
	case v == s.version+1:
		if len(s.ahead) > 0 {
			s.problem(ProblemOrder, l.pos, "v%d is logged after v%d (offset %d)", v, s.lowestAhead(), s.ahead[s.lowestAhead()].pos.Offset)
		}
		s.accept(l)
		for next, ok := s.ahead[s.version+1]; ok; next, ok = s.ahead[s.version+1] {
			delete(s.ahead, s.version+1)
			s.accept(next)
		}
	default:
		if first, ok := s.ahead[v]; ok {
			s.copyOf(l, first.ev.EventMetadata().EventID, first.pos.Offset, first.digest, v)
			return
		}
		if s.ahead == nil {
			s.ahead = map[int64]logged{}
		}
		s.ahead[v] = l
	}
}

// copyOf judges l, a record of a version already seen as event id with
// digest at offset, when the log has reached version latest: the same
// bytes are a redelivery's copy while no later version was logged, the
// same id with other bytes an altered copy, another id a conflict.
//
// A copy logged after a later version is not a redelivery's: the engine
// re-emits a redelivered command's events only when the log lacks them
// (docs/adr/0004), and a command that produced a later version was
// handled after them. Consumers would act on the event a second time, so
// it is reported where it stands (order).
func (s *stream) copyOf(l logged, id string, offset int64, digest [32]byte, latest int64) {
	m := l.ev.EventMetadata()
	switch {
	case m.EventID == id && l.digest == digest && m.AggregateVersion < latest:
		s.problem(ProblemOrder, l.pos, "v%d (event %s, first at offset %d) is logged again after v%d: a redelivery re-emits only what the log lacks, so this copy was appended by another writer",
			m.AggregateVersion, id, offset, latest)
	case m.EventID == id && l.digest == digest:
		s.duplicates++
	case m.EventID == id:
		s.problem(ProblemAltered, l.pos, "v%d event %s differs from the record of that event at offset %d: an altered copy, not a redelivery (which re-emits the same bytes)",
			m.AggregateVersion, id, offset)
	default:
		s.problem(ProblemConflict, l.pos, "v%d is event %s here and event %s at offset %d", m.AggregateVersion, m.EventID, id, offset)
	}
}

func (s *stream) lowestAhead() int64 {
	low := int64(-1)
	for v := range s.ahead {
		if low < 0 || v < low {
			low = v
		}
	}
	return low
}

// accept takes the next version in sequence and applies it unless halted.
func (s *stream) accept(l logged) {
	m := l.ev.EventMetadata()
	s.version++
	s.ids = append(s.ids, m.EventID)
	s.offsets = append(s.offsets, l.pos.Offset)
	s.digests = append(s.digests, l.digest)
	s.link(l)
	if s.version == 1 {
		s.firstAt = m.OccurredAt
	}
	if s.halted || (!s.until.IsZero() && m.OccurredAt.After(s.until)) {
		s.halted = true
		return
	}
	next, err := s.k.evolve(s.state, l.ev)
	if err != nil {
		s.problem(ProblemEvolve, l.pos, "v%d (%T): %v", s.version, l.ev, err)
		s.halted = true
		return
	}
	s.state, s.applied, s.lastAt = next, s.version, m.OccurredAt
	if s.keepRecent {
		s.remember(m, l.raw)
	}
	if s.keepChanges {
		s.changes = append(s.changes, changeOf(s.version, l.ev))
	}
}

// link checks the next version's place in the hash chain (docs/adr/0021):
// a chained event's hash is the hash of its bytes and its prevHash the
// previous version's hash ("" when that one is unchained: the anchor of
// history written before the chain); an unchained event after a chained
// one was not written by the processors.
func (s *stream) link(l logged) {
	m := l.ev.EventMetadata()
	defer func() { s.lastHash = m.Hash }()
	if l.link == nil {
		return // the chain is not checked (rebuild, history)
	}
	switch {
	case m.Hash == "" && s.chained:
		s.problem(ProblemUnchained, l.pos, "v%d (event %s) has no hash, after a chained v%d: the processors seal every event since the chain began, so another producer wrote it",
			s.version, m.EventID, s.version-1)
		return
	case m.Hash == "":
		s.unchained++
		return
	}
	if l.link.Sum != m.Hash {
		s.problem(ProblemHash, l.pos, "v%d (event %s) records hash %s, its bytes hash to %s: altered after it was sealed, or sealed without the chain's key",
			s.version, m.EventID, m.Hash, l.link.Sum)
	}
	if m.PrevHash != s.lastHash {
		s.problem(ProblemLink, l.pos, "v%d (event %s) follows prevHash %q, but v%d's hash is %q: an event before it was replaced, removed or inserted",
			s.version, m.EventID, m.PrevHash, s.version-1, s.lastHash)
	}
	s.chained = true
}

// remember keeps the events of the aggregate's last commands, byte for
// byte, as the engine's window would hold them (without their command
// offsets, which the log does not know).
func (s *stream) remember(m *schemas.EventMeta, raw []byte) {
	b := append([]byte(nil), raw...)
	if n := len(s.recent); n > 0 && s.recent[n-1].CommandID == m.CommandID {
		s.recent[n-1].Events = append(s.recent[n-1].Events, b)
		s.recent[n-1].Version = m.AggregateVersion
		return
	}
	s.recent = append(s.recent, schemas.Applied{
		CommandID: m.CommandID, Offset: -1, Version: m.AggregateVersion,
		ProcessedAt: m.OccurredAt, Events: [][]byte{b},
	})
	if len(s.recent) > aggregate.MinWindow {
		s.recent = s.recent[len(s.recent)-aggregate.MinWindow:]
	}
}

// finish reports the versions that never came: a gap before every event
// still waiting for its turn.
func (s *stream) finish() {
	if len(s.ahead) == 0 {
		return
	}
	low := s.lowestAhead()
	held := fmt.Sprintf("v1..v%d", s.version)
	if s.version == 0 {
		held = "none of the versions before it"
	}
	s.problem(ProblemGap, s.ahead[low].pos, "v%d..v%d are missing: the log holds %s, then v%d", s.version+1, low-1, held, low)
}

// sound says whether the log of the aggregate kept its promises.
func (s *stream) sound() bool { return len(s.problems) == 0 }
