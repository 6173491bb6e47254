package projections

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func basketsState() []StateTable {
	return []StateTable{
		{Aggregate: topics.Baskets, Table: warehouse.BasketsTable, Row: rowOf(func(s *schemas.Head[baskets.Basket]) []any {
			b := s.State
			var units uint64
			var total int64
			for _, it := range b.Items {
				units += uint64(it.Quantity)
				total += it.PriceCents * int64(it.Quantity)
			}
			return []any{s.AggregateID, b.CustomerID, b.PaymentID, b.Status, units, Money(total), uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
	}
}
