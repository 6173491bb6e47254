package projections

import (
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func paymentsState() []StateTable {
	return []StateTable{
		{Aggregate: topics.Payments, Table: warehouse.PaymentsTable, Row: func(v any) ([]any, error) {
			s, err := snapshotOf[payments.Payment](v)
			if err != nil {
				return nil, err
			}
			p := s.State
			return []any{s.AggregateID, p.CustomerID, Money(p.AmountCents), Flag(p.Confirmed), p.OrderID, uint64(s.Version), Seconds(s.UpdatedAt)}, nil
		}},
		{Aggregate: topics.Invoices, Table: warehouse.InvoicesTable, Row: func(v any) ([]any, error) {
			s, err := snapshotOf[payments.Invoice](v)
			if err != nil {
				return nil, err
			}
			i := s.State
			return []any{s.AggregateID, i.OrderID, i.PaymentID, Money(i.AmountCents), i.Status, uint64(s.Version), Seconds(s.UpdatedAt)}, nil
		}},
	}
}
