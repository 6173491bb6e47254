package customers_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/customers"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (style.md, habit 1): the customer group is a
// valid goka graph built only from names in the topics catalogue.
func TestCustomerGroupGraphUsesTheCatalogue(t *testing.T) {
	groups := customers.Groups(engine.Deps{})
	if len(groups) != 1 {
		t.Fatalf("want one group, got %d", len(groups))
	}
	gg := groups[0]
	if err := gg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if gg.Group() != goka.Group(topics.Customers.Group) {
		t.Errorf("group %q, the catalogue says %q", gg.Group(), topics.Customers.Group)
	}
	if got := gg.InputStreams().Topics(); !slices.Equal(got, []string{topics.Customers.Commands.Name}) {
		t.Errorf("inputs %v, want only %s", got, topics.Customers.Commands.Name)
	}
	if gg.GroupTable() == nil || gg.GroupTable().Topic() != topics.Customers.Table.Name {
		t.Errorf("group table %v, want %s", gg.GroupTable(), topics.Customers.Table.Name)
	}
	outputs := gg.OutputStreams().Topics()
	for _, o := range []string{topics.Customers.Events.Name, topics.Results.Name, topics.DeadLetter.Name, topics.SagaReplies.Name} {
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
}
