package payments

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// PaymentGroup is the goka group of the Payment aggregate; it looks up the
// customers table to check AuthorizePayment's customer.
func PaymentGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Payments, PaymentRules, []string{topics.Customers.Table.Name}, deps)
}

// InvoiceGroup is the goka group of the Invoice aggregate. It reads no
// other table.
func InvoiceGroup(deps engine.Deps) *goka.GroupGraph {
	return engine.Group(topics.Invoices, InvoiceRules, nil, deps)
}

// Groups are the goka groups of the payments context.
func Groups(deps engine.Deps) []*goka.GroupGraph {
	return []*goka.GroupGraph{PaymentGroup(deps), InvoiceGroup(deps)}
}
