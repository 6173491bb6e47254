package projections

import (
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func depotState() []StateTable {
	return []StateTable{
		{Aggregate: topics.ShoppingLists, Table: warehouse.ShoppingListsTable, Row: rowOf(func(s *schemas.Head[depot.ShoppingList]) []any {
			l := s.State
			var items uint32
			for _, stop := range l.Stops {
				items += uint32(len(stop.Items))
			}
			return []any{s.AggregateID, l.OrderID, l.BotID, l.Status, uint32(len(l.Stops)), items,
				orEpoch(l.AvailableAt), uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
		{Aggregate: topics.Bots, Table: warehouse.BotsTable, Row: rowOf(func(s *schemas.Head[depot.Bot]) []any {
			b := s.State
			return []any{s.AggregateID, b.Status, b.ShoppingListID, uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
	}
}

// orEpoch is a DateTime column's value for a time that may be unset: the
// Unix epoch (ClickHouse's zero DateTime) for the zero time.
func orEpoch(t time.Time) time.Time {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return Seconds(t)
}
