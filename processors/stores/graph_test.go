package stores_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (style.md, habit 1): each stores group is a valid
// goka graph built only from names in the topics catalogue, without I/O.

// wantGraph is what a group's edges must be, in catalogue names.
type wantGraph struct {
	group   goka.Group
	input   string
	table   string
	outputs []string
	lookups []string
}

// aggregateGraph is the shape engine.Group gives every aggregate: consume
// its commands, persist snapshots in its table, emit its events, results and
// dead letters, and forward misrouted commands to its own command topic.
// The engine may emit to further catalogue topics (replies to a saga).
func aggregateGraph(a topics.Aggregate, lookups ...string) wantGraph {
	return wantGraph{
		group:   goka.Group(a.Group),
		input:   a.Commands.Name,
		table:   a.Table.Name,
		outputs: []string{a.Events.Name, topics.Results.Name, topics.DeadLetter.Name, a.Commands.Name},
		lookups: lookups,
	}
}

func TestStoresGroupGraphsUseTheCatalogue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		graph *goka.GroupGraph
		want  wantGraph
	}{
		{"store", stores.StoreGroup(engine.Deps{}), aggregateGraph(topics.Stores)},
		{"product looks up the stores table", stores.ProductGroup(engine.Deps{}), aggregateGraph(topics.Products, topics.Stores.Table.Name)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gg, want := tc.graph, tc.want
			if err := gg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if gg.Group() != want.group {
				t.Errorf("group %q, the catalogue says %q", gg.Group(), want.group)
			}
			if got := gg.InputStreams().Topics(); !slices.Equal(got, []string{want.input}) {
				t.Errorf("inputs %v, want only the command topic %s", got, want.input)
			}
			if gg.GroupTable() == nil || gg.GroupTable().Topic() != want.table {
				t.Errorf("group table %v, want %s", gg.GroupTable(), want.table)
			}
			outputs := gg.OutputStreams().Topics()
			for _, o := range want.outputs {
				if !slices.Contains(outputs, o) {
					t.Errorf("outputs %v lack %s", outputs, o)
				}
			}
			if got := gg.LookupTables().Topics(); !sameSet(got, want.lookups) {
				t.Errorf("lookups %v, want %v", got, want.lookups)
			}
			if got := gg.JointTables().Topics(); len(got) != 0 {
				t.Errorf("joins %v, want none", got)
			}
			if gg.LoopStream() != nil {
				t.Errorf("loop %s, want none", gg.LoopStream().Topic())
			}
			// Every edge is a topic the catalogue declares, so that
			// `mallbots topics apply` creates it with its settings.
			for _, e := range gg.AllEdges() {
				if _, ok := topics.ByName(e.Topic()); !ok {
					t.Errorf("edge %s uses topic %q, which the catalogue does not declare", e, e.Topic())
				}
			}
		})
	}
}

func sameSet(got, want []string) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}
