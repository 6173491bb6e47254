package replay

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/mallbots/mallbots/schemas"
)

// compare checks a state table against what it should hold (the fold of
// the log, or a rebuilt table): the same aggregates, each at the same
// version with the same state and the same last hash of its chain
// (docs/adr/0021). Only these are compared: the
// window of recent commands, the last command offset and updatedAt are
// the processor's bookkeeping, which the log does not determine (see
// snapshot.go). It returns how many snapshots match and one discrepancy
// per aggregate that does not. The aggregates in unsound, whose log is
// reported broken, are not judged.
func compare(k kind, want map[string]tableValue, got *table, unsound map[string]bool) (matching int, problems []Discrepancy) {
	typ := k.names().Type
	add := func(id string, p Problem, where, format string, args ...any) {
		problems = append(problems, Discrepancy{Type: typ, ID: id, Problem: p, Where: where, Detail: fmt.Sprintf(format, args...)})
	}
	for _, id := range sortedKeys(want) {
		w := want[id]
		e, ok := got.entries[id]
		switch {
		case !ok:
			add(id, ProblemTableMissing, got.name, "the log has it at v%d, the table has no snapshot", w.version)
		case e.err != nil:
			add(id, ProblemTableRecord, e.pos.String(), "%v", e.err)
		case e.val.version != w.version:
			add(id, ProblemTableVersion, e.pos.String(), "the table holds v%d, the log v%d", e.val.version, w.version)
		default:
			diff, err := stateDiff(e.val.state, w.state)
			switch {
			case err != nil:
				add(id, ProblemTableState, e.pos.String(), "cannot compare states: %v", err)
			case diff != "":
				add(id, ProblemTableState, e.pos.String(), "at v%d the table differs from the log: %s", w.version, diff)
			case e.val.lastHash != w.lastHash:
				add(id, ProblemTableHash, e.pos.String(), "at v%d the table's lastHash is %q, the log's last event's hash %q: the next event would not chain on the log", w.version, e.val.lastHash, w.lastHash)
			default:
				matching++
			}
		}
	}
	for _, id := range sortedKeys(got.entries) {
		if _, ok := want[id]; ok || unsound[id] {
			continue
		}
		e := got.entries[id]
		if e.err != nil {
			add(id, ProblemTableRecord, e.pos.String(), "%v (and the log has no event of it)", e.err)
			continue
		}
		add(id, ProblemTableExtra, e.pos.String(), "the table holds v%d, the log has no event of it", e.val.version)
	}
	return matching, problems
}

// stateDiff names the fields in which two states differ, as the contract
// spells them ("status: table \"canceled\", log \"completed\""); "" when
// they are equal. States compare as their plain Avro-mapped values, so a
// time's location or a nil versus an empty list does not count.
func stateDiff(table, log any) (string, error) {
	a, err := plain(table)
	if err != nil {
		return "", err
	}
	b, err := plain(log)
	if err != nil {
		return "", err
	}
	var diffs []string
	for _, f := range fieldNames(a, b) {
		if !reflect.DeepEqual(a[f], b[f]) {
			diffs = append(diffs, fmt.Sprintf("%s: table %s, log %s", f, short(a[f]), short(b[f])))
		}
	}
	return strings.Join(diffs, "; "), nil
}

// plain maps a state to JSON-like values, round-tripped through JSON so
// that equal states are deeply equal.
func plain(state any) (map[string]any, error) {
	if state == nil {
		return map[string]any{}, nil
	}
	n, err := schemas.PayloadNative(state)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

func fieldNames(a, b map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]any{a, b} {
		for f := range m {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out
}

// short renders a value as JSON, cut to a readable length.
func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}
