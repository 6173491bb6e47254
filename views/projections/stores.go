package projections

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func storesState() []StateTable {
	return []StateTable{
		{Aggregate: topics.Stores, Table: warehouse.StoresTable, Row: rowOf(func(s *schemas.Head[stores.Store]) []any {
			st := s.State
			return []any{s.AggregateID, st.Name, st.Location, Flag(st.Participating), uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
		{Aggregate: topics.Products, Table: warehouse.ProductsTable, Row: rowOf(func(s *schemas.Head[stores.Product]) []any {
			p := s.State
			return []any{s.AggregateID, p.StoreID, p.Name, p.Description, p.SKU, Money(p.PriceCents), Flag(p.Removed), uint64(s.Version), Seconds(s.UpdatedAt), p.Category}
		})},
	}
}
