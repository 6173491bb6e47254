package ordering_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (style.md, habit 1): the order group is a valid
// goka graph built only from names in the topics catalogue, without I/O.
func TestOrderGroupGraphUsesTheCatalogue(t *testing.T) {
	gg := ordering.OrderGroup(engine.Deps{})
	if err := gg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if gg.Group() != goka.Group(topics.Orders.Group) {
		t.Errorf("group %q, the catalogue says %q", gg.Group(), topics.Orders.Group)
	}
	if got := gg.InputStreams().Topics(); !slices.Equal(got, []string{topics.Orders.Commands.Name}) {
		t.Errorf("inputs %v, want only %s", got, topics.Orders.Commands.Name)
	}
	if gg.GroupTable() == nil || gg.GroupTable().Topic() != topics.Orders.Table.Name {
		t.Errorf("group table %v, want %s", gg.GroupTable(), topics.Orders.Table.Name)
	}
	outputs := gg.OutputStreams().Topics()
	for _, o := range []string{topics.Orders.Events.Name, topics.Results.Name, topics.DeadLetter.Name, topics.Orders.Commands.Name, topics.SagaReplies.Name} {
		if !slices.Contains(outputs, o) {
			t.Errorf("outputs %v lack %s", outputs, o)
		}
	}
	if got := gg.LookupTables().Topics(); len(got) != 0 {
		t.Errorf("lookups %v, want none", got)
	}
	for _, e := range gg.AllEdges() {
		if _, ok := topics.ByName(e.Topic()); !ok {
			t.Errorf("edge %s uses topic %q, which the catalogue does not declare", e, e.Topic())
		}
	}
	if n := len(ordering.Groups(engine.Deps{})); n != 1 {
		t.Errorf("the ordering context has %d groups, want 1", n)
	}
}
