package payments_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (style.md, habit 1): each payments group is a
// valid goka graph built only from names in the topics catalogue.
func TestPaymentsGroupGraphsUseTheCatalogue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		graph   *goka.GroupGraph
		agg     topics.Aggregate
		lookups []string
	}{
		{"payment looks up the customers table", payments.PaymentGroup(engine.Deps{}), topics.Payments, []string{topics.Customers.Table.Name}},
		{"invoice", payments.InvoiceGroup(engine.Deps{}), topics.Invoices, nil},
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
			for _, o := range []string{tc.agg.Events.Name, topics.Results.Name, topics.DeadLetter.Name, topics.SagaReplies.Name} {
				if !slices.Contains(outputs, o) {
					t.Errorf("outputs %v lack %s", outputs, o)
				}
			}
			if got := gg.LookupTables().Topics(); !slices.Equal(got, tc.lookups) {
				t.Errorf("lookups %v, want %v", got, tc.lookups)
			}
			for _, e := range gg.AllEdges() {
				if _, ok := topics.ByName(e.Topic()); !ok {
					t.Errorf("edge %s uses topic %q, which the catalogue does not declare", e, e.Topic())
				}
			}
		})
	}
	if n := len(payments.Groups(engine.Deps{})); n != 2 {
		t.Errorf("the payments context has %d groups, want payment and invoice", n)
	}
}
