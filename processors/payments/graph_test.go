package payments_test

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/processors/payments"
	"github.com/mallbots/mallbots/topics"
)

// The topology is a value (CONTRIBUTING.md, rule 1): each payments group is
// a valid goka graph built only from names in the topics catalogue.
func TestPaymentsGroupGraphsUseTheCatalogue(t *testing.T) {
	t.Run("payment looks up the customers table", func(t *testing.T) {
		enginetest.AssertAggregateGraph(t, payments.PaymentGroup(engine.Deps{}), topics.Payments, topics.Customers.Table.Name)
	})
	t.Run("invoice", func(t *testing.T) {
		enginetest.AssertAggregateGraph(t, payments.InvoiceGroup(engine.Deps{}), topics.Invoices)
	})
	enginetest.AssertContextGroups(t, payments.Groups(engine.Deps{}), topics.Payments, topics.Invoices)
}
