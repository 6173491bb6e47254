// Package policies turns events into commands (domain.md "Policies"):
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
	m := ev.EventMetadata()
	meta := func(aggregateID, purpose string) schemas.CommandMeta {
		return schemas.CommandMeta{
			CommandID:     schemas.DerivedID(m.EventID + "/" + purpose),
			AggregateID:   aggregateID,
			CorrelationID: m.CorrelationID,
			CausationID:   m.EventID,
			IssuedAt:      m.OccurredAt,
		}
	}
	switch e := ev.(type) {
	case *baskets.BasketCheckedOut:
		c := &ordering.CreateOrder{CommandMeta: meta(m.AggregateID, "create-order"), CustomerID: e.CustomerID, PaymentID: e.PaymentID, TotalCents: e.TotalCents}
		for _, it := range e.Items {
			c.Items = append(c.Items, ordering.OrderItem{ProductID: it.ProductID, StoreID: it.StoreID, StoreName: it.StoreName,
				ProductName: it.ProductName, PriceCents: it.PriceCents, Quantity: it.Quantity})
		}
		return []schemas.Command{c}
	case *depot.ShoppingListCompleted:
		return []schemas.Command{&ordering.ReadyOrder{CommandMeta: meta(e.OrderID, "ready-order")}}
	case *ordering.OrderReadied:
		return []schemas.Command{&payments.CreateInvoice{CommandMeta: meta(m.AggregateID, "create-invoice"),
			OrderID: m.AggregateID, PaymentID: e.PaymentID, AmountCents: e.TotalCents}}
	case *payments.InvoicePaid:
		return []schemas.Command{&ordering.CompleteOrder{CommandMeta: meta(e.OrderID, "complete-order"), InvoiceID: m.AggregateID}}
	case *ordering.OrderCanceled:
		var out []schemas.Command
		if e.ShoppingListID != "" {
			out = append(out, &depot.CancelShoppingList{CommandMeta: meta(e.ShoppingListID, "cancel-shopping-list")})
		}
		if e.InvoiceID != "" {
			out = append(out, &payments.CancelInvoice{CommandMeta: meta(e.InvoiceID, "cancel-invoice")})
		}
		return out
	}
	return nil
}
