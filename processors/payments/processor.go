package payments

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// Groups are the goka groups of the payments context: the Payment
// aggregate's, which looks up the customers table to check
// AuthorizePayment's customer, and the Invoice aggregate's.
func Groups(rt *engine.Runtime) []*goka.GroupGraph {
	return []*goka.GroupGraph{
		engine.Group(rt, topics.Payments, PaymentRules, []string{topics.Customers.Table.Name}),
		engine.Group(rt, topics.Invoices, InvoiceRules, nil),
	}
}
