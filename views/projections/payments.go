package projections

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func paymentsState() []StateTable {
	return []StateTable{
		{Aggregate: topics.Payments, Table: warehouse.PaymentsTable, Row: rowOf(func(s *schemas.Head[payments.Payment]) []any {
			p := s.State
			return []any{s.AggregateID, p.CustomerID, Money(p.AmountCents), Flag(p.Confirmed), p.OrderID, uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
		{Aggregate: topics.Invoices, Table: warehouse.InvoicesTable, Row: rowOf(func(s *schemas.Head[payments.Invoice]) []any {
			i := s.State
			return []any{s.AggregateID, i.OrderID, i.PaymentID, Money(i.AmountCents), i.Status, uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
	}
}
