package projections

import (
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/warehouse"
)

// All lists every projection MallBots runs, in the order the system starts
// them; `mallbots replay --projection` and GET /api/projections find them
// here.
func All(sd *serde.Serde) []warehouse.Projection {
	return []warehouse.Projection{Events(sd), State(sd), Notifications(sd), Search(sd), Analytics(sd)}
}

// Sources says which of a projection's topics feed each of its tables,
// where it is not all of them: each current-state table is fed by its
// aggregate's state table alone, and each analytics table by one event
// topic. A table it does not name is fed by every topic of its projection.
// Per-table lag and the rebuild of one table read it.
func Sources(p warehouse.Projection) map[string][]string {
	out := map[string][]string{}
	switch p.Group {
	case topics.ProjectorState:
		for _, st := range stateTables() {
			out[st.Table.Name] = []string{st.Aggregate.Table.Name}
		}
	case topics.ProjectorAnalytics:
		out[warehouse.OrderLinesTable.Name] = []string{topics.Orders.Events.Name}
		out[warehouse.OrderMilestonesTable.Name] = []string{topics.Orders.Events.Name}
		out[warehouse.BasketActivityTable.Name] = []string{topics.Baskets.Events.Name}
	}
	return out
}

// ByTable finds the projection that writes table: `mallbots replay
// --projection orders` rebuilds the orders table of the state projection.
func ByTable(all []warehouse.Projection, table string) (warehouse.Projection, bool) {
	for _, p := range all {
		for _, t := range p.Tables {
			if t.Name == table {
				return p, true
			}
		}
	}
	return warehouse.Projection{}, false
}
