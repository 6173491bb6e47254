package depot_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (style.md, habit 1): each depot group is a valid
// goka graph built only from names in the topics catalogue, without I/O.
func TestDepotGroupGraphsUseTheCatalogue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		graph   *goka.GroupGraph
		agg     topics.Aggregate
		lookups []string
	}{
		{"shopping list looks up stores and products", depot.ShoppingListGroup(engine.Deps{}), topics.ShoppingLists,
			[]string{topics.Stores.Table.Name, topics.Products.Table.Name}},
		{"bot", depot.BotGroup(engine.Deps{}), topics.Bots, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gg := tc.graph
			if err := gg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if gg.Group() != goka.Group(tc.agg.Group) {
				t.Errorf("group %q, the catalogue says %q", gg.Group(), tc.agg.Group)
			}
			if got := gg.InputStreams().Topics(); !slices.Equal(got, []string{tc.agg.Commands.Name}) {
				t.Errorf("inputs %v, want only %s", got, tc.agg.Commands.Name)
			}
			if gg.GroupTable() == nil || gg.GroupTable().Topic() != tc.agg.Table.Name {
				t.Errorf("group table %v, want %s", gg.GroupTable(), tc.agg.Table.Name)
			}
			outputs := gg.OutputStreams().Topics()
			for _, o := range []string{tc.agg.Events.Name, topics.Results.Name, topics.DeadLetter.Name, tc.agg.Commands.Name, topics.SagaReplies.Name} {
				if !slices.Contains(outputs, o) {
					t.Errorf("outputs %v lack %s", outputs, o)
				}
			}
			got, want := slices.Sorted(slices.Values(gg.LookupTables().Topics())), slices.Sorted(slices.Values(tc.lookups))
			if !slices.Equal(got, want) {
				t.Errorf("lookups %v, want %v", got, want)
			}
			for _, e := range gg.AllEdges() {
				if _, ok := topics.ByName(e.Topic()); !ok {
					t.Errorf("edge %s uses topic %q, which the catalogue does not declare", e, e.Topic())
				}
			}
		})
	}
	if n := len(depot.Groups(engine.Deps{})); n != 2 {
		t.Errorf("the depot context has %d groups, want 2", n)
	}
}
