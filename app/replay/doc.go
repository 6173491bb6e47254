// Package replay reads the event log back: it folds each aggregate's events
// with its own rules (the Evolve of processors/<context>) to rebuild state,
// checks the log's promises on the way, and compares the result with the
// state tables.
//
// It consumes the event topics (mallbots.<aggregate>.events) and the state
// tables (<group>-table) with franz-go, partition by partition from the
// start up to the end offsets seen when a read begins, decoding with the
// registry-aware serde. It produces:
//   - Verify: a Report on the whole log (versions 1..n per aggregate, no
//     gap, no conflicting duplicate, every event on its key's partition)
//     and on every state table against it (`mallbots verify`);
//   - Rebuild: a state table rebuilt from the log into a new compacted
//     topic, compared with the live one, then swapped in
//     (`mallbots replay --table`);
//   - AsOf: one aggregate as it was at an instant, from the log alone
//     (`mallbots replay --aggregate`, GET /api/history/{type}/{id}).
//
// Redelivery may log the same event twice (ADR 0004): a copy with the same
// event id is skipped and counted; two different events with one version
// are a discrepancy. See docs/adr/0010.
package replay
