// Package policies turns events into commands (docs/domain.md "Policies"):
// BasketCheckedOut → CreateOrder, ShoppingListCompleted → ReadyOrder,
// OrderReadied → CreateInvoice, InvoicePaid → CompleteOrder, OrderCanceled
// → CancelShoppingList and CancelInvoice. (OrderCreated starts the saga,
// which reads the order events itself.)
//
// Policies are pure functions of one event; the goka group in processor.go
// sends what they return. Every command id is derived from the event id, so
// a redelivered event sends the same command and the aggregate applies it
// once.
package policies

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
)

// React returns the commands an event calls for (none for most events).
func React(ev schemas.Event) []schemas.Command {
	rs := react(ev)
	if len(rs) == 0 {
		return nil
	}
	cmds := make([]schemas.Command, len(rs))
	for i, r := range rs {
		cmds[i] = r.cmd
	}
	return cmds
}

// reaction is a command a policy calls for, with the event's field its
// aggregate id comes from: an event that lacks it (no honest producer
// writes one, but any Kafka client can) makes a command without an
// aggregate id, and the group's dead letter names the field.
type reaction struct {
	cmd  schemas.Command
	from string // the event's field holding cmd's aggregate id
}

func react(ev schemas.Event) []reaction {
	m := ev.EventMetadata()
	meta := func(aggregateID, purpose string) schemas.CommandMeta {
		return schemas.CommandMeta{
			CommandID:     schemas.DerivedID(m.EventID + "/" + purpose),
			AggregateID:   aggregateID,
			CorrelationID: m.CorrelationID,
			CausationID:   m.EventID,
			IssuedAt:      m.OccurredAt,
			// The policies issue their commands as the service they are;
			// the causing event, and through it the caller who set the
			// workflow off, is the causation (docs/adr/0023).
			IssuedBy:   schemas.IssuerPolicies,
			IssuerRole: schemas.ServiceRole,
		}
	}
	switch e := ev.(type) {
	case *baskets.BasketCheckedOut:
		c := &ordering.CreateOrder{CommandMeta: meta(m.AggregateID, "create-order"), CustomerID: e.CustomerID, PaymentID: e.PaymentID, TotalCents: e.TotalCents}
		for _, it := range e.Items {
			c.Items = append(c.Items, ordering.OrderItem{ProductID: it.ProductID, StoreID: it.StoreID, StoreName: it.StoreName,
				ProductName: it.ProductName, PriceCents: it.PriceCents, Quantity: it.Quantity})
		}
		return []reaction{{c, "aggregateId"}}
	case *depot.ShoppingListCompleted:
		return []reaction{{&ordering.ReadyOrder{CommandMeta: meta(e.OrderID, "ready-order")}, "orderId"}}
	case *ordering.OrderReadied:
		return []reaction{{&payments.CreateInvoice{CommandMeta: meta(m.AggregateID, "create-invoice"),
			OrderID: m.AggregateID, PaymentID: e.PaymentID, AmountCents: e.TotalCents}, "aggregateId"}}
	case *payments.InvoicePaid:
		return []reaction{{&ordering.CompleteOrder{CommandMeta: meta(e.OrderID, "complete-order"), InvoiceID: m.AggregateID}, "orderId"}}
	case *ordering.OrderCanceled:
		var out []reaction
		if e.ShoppingListID != "" {
			out = append(out, reaction{&depot.CancelShoppingList{CommandMeta: meta(e.ShoppingListID, "cancel-shopping-list")}, "shoppingListId"})
		}
		if e.InvoiceID != "" {
			out = append(out, reaction{&payments.CancelInvoice{CommandMeta: meta(e.InvoiceID, "cancel-invoice")}, "invoiceId"})
		}
		return out
	}
	return nil
}
