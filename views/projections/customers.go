package projections

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

func customersState() []StateTable {
	return []StateTable{
		{Aggregate: topics.Customers, Table: warehouse.CustomersTable, Row: rowOf(func(s *schemas.Head[customers.Customer]) []any {
			c := s.State
			return []any{s.AggregateID, c.Name, c.SMSNumber, Flag(c.Enabled), uint64(s.Version), Seconds(s.UpdatedAt)}
		})},
	}
}
