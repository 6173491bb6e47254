package engine_test

import (
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/topics"
)

// The catalogue names goka's tables itself, so that the contract does not
// depend on goka; the names must be the ones goka uses.
func TestTheCatalogueNamesTablesAsGokaDoes(t *testing.T) {
	groups := []string{topics.SagaGroup, topics.NotificationsGroup}
	for _, a := range topics.EngineAggregates() {
		groups = append(groups, a.Group)
		if a.Table.Name != string(goka.GroupTable(goka.Group(a.Group))) {
			t.Errorf("%s: table %s, goka says %s", a.Type, a.Table.Name, goka.GroupTable(goka.Group(a.Group)))
		}
	}
	for _, g := range groups {
		if topics.TableOf(g) != string(goka.GroupTable(goka.Group(g))) {
			t.Errorf("TableOf(%s) = %s, goka says %s", g, topics.TableOf(g), goka.GroupTable(goka.Group(g)))
		}
	}
}
