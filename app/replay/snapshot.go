package replay

import "github.com/mallbots/mallbots/topics"

// A rebuilt snapshot carries what the log determines — the aggregate's
// state and version, updatedAt (when its last event occurred) and lastHash
// (its last event's hash, which the next event chains on: ADR 0021) — plus
// the processor's bookkeeping as far as it can be known without the
// processor (docs/adr/0010):
//
//   - Recent: the last aggregate.MinWindow commands that appended events,
//     each with its events byte for byte from the log and Offset -1 (the
//     log does not say where the command was on its command topic). A
//     command that arrives again with one of these ids is answered from
//     the window as a client retry: nothing is appended twice. Rejections
//     are not in the log, so they are not in the window: a retried
//     rejected command is decided again.
//   - LastOffset: the group's committed offset on the aggregate's command
//     partition, minus one. Goka commits an offset only after the command
//     was handled, so every command below it has been applied (or
//     rejected) and must never be applied again; the engine skips them.
//     With no committed offset it is -1.
//
// That is safe because the table is written while the group is stopped: on
// restart goka reads the new records into its local store before it
// consumes a command, and resumes from the committed offsets, past every
// command whose events were folded (a command after them is new). After
// an unclean stop the few commands past the last commit are redelivered;
// their ids are in the rebuilt window, so they append nothing again.

// snapshots returns the rebuilt snapshot of every aggregate whose log is
// sound, by id.
func (f *logFold) snapshots(committed map[int32]int64) map[string]any {
	a := f.k.names()
	out := make(map[string]any, len(f.streams))
	for id, s := range f.streams {
		if !s.sound() || s.version == 0 {
			continue
		}
		last := int64(-1)
		if c, ok := committed[topics.PartitionFor(id, a.Commands.Partitions)]; ok && c > 0 {
			last = c - 1
		}
		out[id] = f.k.newSnapshot(rebuilt{
			id: id, version: s.version, state: s.state, updatedAt: s.lastAt,
			lastOffset: last, recent: s.recent, lastHash: s.lastHash,
		})
	}
	return out
}
