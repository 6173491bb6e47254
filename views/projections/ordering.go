package projections

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func orderingState() []StateTable {
	return []StateTable{
		{Aggregate: topics.Orders, Table: warehouse.OrdersTable, Row: rowOf(func(s *schemas.Head[ordering.Order]) []any {
			o := s.State
			var units uint64
			for _, it := range o.Items {
				units += uint64(it.Quantity)
			}
			return []any{s.AggregateID, o.CustomerID, o.PaymentID, o.ShoppingListID, o.InvoiceID, Money(o.TotalCents),
				o.Status, o.RejectionReason, units, uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
	}
}
