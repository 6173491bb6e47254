package enginetest

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/topics"
)

// AssertAggregateGraph checks that gg is the graph engine.Group builds for
// a (CONTRIBUTING.md, rule 1: the topology is a value): it validates; it is
// a's group; it consumes a's command topic only; it persists a's table; it
// emits at least a's events, results, dead letters, a's own commands (to
// forward a misrouted one) and saga replies; it looks up exactly the tables
// lookups names; it joins nothing and loops nothing; and every edge is a
// topic of the catalogue, so that `mallbots topics apply` creates it.
func AssertAggregateGraph(t testing.TB, gg *goka.GroupGraph, a topics.Aggregate, lookups ...string) {
	t.Helper()
	if err := gg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if gg.Group() != goka.Group(a.Group) {
		t.Errorf("group %q, the catalogue says %q", gg.Group(), a.Group)
	}
	if got := gg.InputStreams().Topics(); !slices.Equal(got, []string{a.Commands.Name}) {
		t.Errorf("inputs %v, want only the command topic %s", got, a.Commands.Name)
	}
	if gg.GroupTable() == nil || gg.GroupTable().Topic() != a.Table.Name {
		t.Errorf("group table %v, want %s", gg.GroupTable(), a.Table.Name)
	}
	outputs := gg.OutputStreams().Topics()
	for _, o := range []string{a.Events.Name, topics.Results.Name, topics.DeadLetter.Name, a.Commands.Name, topics.SagaReplies.Name} {
		if !slices.Contains(outputs, o) {
			t.Errorf("outputs %v lack %s", outputs, o)
		}
	}
	if got, want := sorted(gg.LookupTables().Topics()), sorted(lookups); !slices.Equal(got, want) {
		t.Errorf("lookups %v, want %v", got, want)
	}
	if got := gg.JointTables().Topics(); len(got) != 0 {
		t.Errorf("joins %v, want none", got)
	}
	if gg.LoopStream() != nil {
		t.Errorf("loop %s, want none", gg.LoopStream().Topic())
	}
	for _, e := range gg.AllEdges() {
		if _, ok := topics.ByName(e.Topic()); !ok {
			t.Errorf("edge %s uses topic %q, which the catalogue does not declare", e, e.Topic())
		}
	}
}

// AssertContextGroups checks that a context's groups are those of aggs,
// one each, in any order.
func AssertContextGroups(t testing.TB, groups []*goka.GroupGraph, aggs ...topics.Aggregate) {
	t.Helper()
	got := make([]goka.Group, len(groups))
	for i, gg := range groups {
		got[i] = gg.Group()
	}
	want := make([]goka.Group, len(aggs))
	for i, a := range aggs {
		want[i] = goka.Group(a.Group)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the context runs the groups %v, want %v", got, want)
	}
}

func sorted(s []string) []string {
	return slices.Sorted(slices.Values(s))
}
