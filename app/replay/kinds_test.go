package replay

import (
	"testing"

	"github.com/mallbots/mallbots/topics"
)

// Every aggregate of the catalogue can be replayed, in the catalogue's
// order: a new aggregate without a line in kinds fails here.
func TestEveryAggregateOfTheCatalogueHasItsRules(t *testing.T) {
	all := topics.Aggregates()
	if len(kinds) != len(all) {
		t.Fatalf("%d kinds for %d aggregates of the catalogue: add the new one to kinds (kinds.go)", len(kinds), len(all))
	}
	for i, a := range all {
		if got := kinds[i].names(); got.Type != a.Type || got.Events.Name != a.Events.Name || got.Table.Name != a.Table.Name {
			t.Errorf("kinds[%d] is %s, the catalogue's aggregate %d is %s", i, got.Type, i, a.Type)
		}
	}
}

func TestAnAggregateIsNamedByItsTypeGroupOrTable(t *testing.T) {
	for _, name := range []string{"shopping_list", "mallbots.shoppinglists", "shoppinglists", "mallbots.shoppinglists-table"} {
		k, err := find(name)
		if err != nil || k.names().Type != "shopping_list" {
			t.Errorf("find(%q) = %v, %v; want shopping_list", name, k, err)
		}
	}
	if _, err := find("mallbots.saga.createorder"); err == nil {
		t.Error("the saga is not an aggregate with an event log")
	}
}
