package analytics

import (
	"cmp"
	"maps"
	"slices"
)

// brokenChainLinks is the figure of the cookbook's chain check
// (docs/adr/0021): per aggregate, in version order, every event whose
// prevHash is not the hash of the aggregate's previous event ("" before
// its first). Events written before the chain carry neither hash, so they
// link to one another and the first chained event anchors on "" after
// them; an event without a hash after a chained one, a changed
// predecessor and a missing version each break a link. The hashes are
// compared as recorded: recomputing them from the records' bytes is
// `mallbots verify`'s.
func brokenChainLinks(h *History, _ Params) (Result, error) {
	type aggregate struct{ typ, id string }
	by := map[aggregate][]Event{}
	for _, e := range h.Events {
		k := aggregate{e.Aggregate, e.Meta().AggregateID}
		by[k] = append(by[k], e)
	}
	keys := slices.SortedFunc(maps.Keys(by), func(a, b aggregate) int { return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.id, b.id)) })
	var out Result
	for _, k := range keys {
		evs := by[k]
		slices.SortFunc(evs, func(a, b Event) int { return cmp.Compare(a.Meta().AggregateVersion, b.Meta().AggregateVersion) })
		var previousVersion uint64
		var previousHash string
		for _, e := range evs {
			m := e.Meta()
			if m.PrevHash != previousHash {
				out = append(out, []any{k.typ, k.id, uint64(m.AggregateVersion), previousVersion, m.PrevHash, previousHash})
			}
			previousVersion, previousHash = uint64(m.AggregateVersion), m.Hash
		}
	}
	return out, nil
}
