package baskets_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/baskets"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (style.md, habit 1): the basket group is a valid
// goka graph built only from names in the topics catalogue, without I/O.
func TestBasketGroupGraphUsesTheCatalogue(t *testing.T) {
	gg := baskets.BasketGroup(engine.Deps{})
	if err := gg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if gg.Group() != goka.Group(topics.Baskets.Group) {
		t.Errorf("group %q, the catalogue says %q", gg.Group(), topics.Baskets.Group)
	}
	if got := gg.InputStreams().Topics(); !slices.Equal(got, []string{topics.Baskets.Commands.Name}) {
		t.Errorf("inputs %v, want only %s", got, topics.Baskets.Commands.Name)
	}
	if gg.GroupTable() == nil || gg.GroupTable().Topic() != topics.Baskets.Table.Name {
		t.Errorf("group table %v, want %s", gg.GroupTable(), topics.Baskets.Table.Name)
	}
	outputs := gg.OutputStreams().Topics()
	for _, o := range []string{topics.Baskets.Events.Name, topics.Results.Name, topics.DeadLetter.Name, topics.Baskets.Commands.Name} {
		if !slices.Contains(outputs, o) {
			t.Errorf("outputs %v lack %s", outputs, o)
		}
	}
	// The rules read the customer, the product and its store; nothing else.
	lookups := gg.LookupTables().Topics()
	want := []string{topics.Customers.Table.Name, topics.Products.Table.Name, topics.Stores.Table.Name}
	slices.Sort(lookups)
	slices.Sort(want)
	if !slices.Equal(lookups, want) {
		t.Errorf("lookups %v, want %v", lookups, want)
	}
	if got := gg.JointTables().Topics(); len(got) != 0 {
		t.Errorf("joins %v, want none", got)
	}
	for _, e := range gg.AllEdges() {
		if _, ok := topics.ByName(e.Topic()); !ok {
			t.Errorf("edge %s uses topic %q, which the catalogue does not declare", e, e.Topic())
		}
	}
	if n := len(baskets.Groups(engine.Deps{})); n != 1 {
		t.Errorf("the baskets context has %d groups, want 1", n)
	}
}
