package projections_test

import (
	"slices"
	"testing"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
)

// Each projector's principal may read only the topics the catalogue's
// flow names (topics.ProjectorFlows); the projections must read exactly
// those, or the broker refuses them (or grants more than they need).
func TestEveryProjectionReadsWhatItsFlowInTheCatalogueSays(t *testing.T) {
	flows := map[string][]string{}
	for _, f := range topics.ProjectorFlows() {
		flows[f.Group] = f.Topics
	}
	all := projections.All(nil)
	if len(all) != len(flows) {
		t.Errorf("%d projections, %d projector flows in the catalogue", len(all), len(flows))
	}
	for _, p := range all {
		want, ok := flows[p.Group]
		if !ok {
			t.Errorf("projection %s: its group %s has no flow in the catalogue, so no principal", p.Name, p.Group)
			continue
		}
		got, want := slices.Sorted(slices.Values(p.Topics)), slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("projection %s reads %v, the catalogue's flow %v", p.Name, got, want)
		}
		if topics.ProjectionName(p.Group) != p.Name {
			t.Errorf("projection %s runs as %s, whose principal is named for %q", p.Name, p.Group, topics.ProjectionName(p.Group))
		}
		pr, ok := topics.PrincipalByName(topics.PrincipalName(topics.ProjectorRole(p.Group)))
		if !ok || !pr.Allows(topics.ResourceGroup, p.Group, topics.OpRead) {
			t.Errorf("projection %s: no principal joins %s", p.Name, p.Group)
		}
	}
}
