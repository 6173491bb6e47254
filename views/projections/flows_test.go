package projections_test

import (
	"slices"
	"testing"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/projections"
)

// Each projector's principal may read only the topics the catalogue's
// flow names (topics.ProjectorFlows) and write only its outputs; the
// projections must read and write exactly those, or the broker refuses
// them (or grants more than they need).
func TestEveryProjectionReadsAndWritesWhatItsFlowInTheCatalogueSays(t *testing.T) {
	flows, outputs := map[string][]string{}, map[string][]string{}
	for _, f := range topics.ProjectorFlows() {
		flows[f.Group], outputs[f.Group] = f.Topics, f.Outputs
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
		var writes []string
		if p.DeadLetter != "" {
			writes = []string{p.DeadLetter}
			if !pr.Allows(topics.ResourceTopic, p.DeadLetter, topics.OpWrite) {
				t.Errorf("projection %s dead-letters to %s, which its principal may not write", p.Name, p.DeadLetter)
			}
		}
		if !slices.Equal(writes, outputs[p.Group]) {
			t.Errorf("projection %s writes %v, the catalogue's flow %v", p.Name, writes, outputs[p.Group])
		}
	}
}

// A changed copy of an event the warehouse holds is refused and kept on
// the dead-letter topic (docs/adr/0021).
func TestTheEventsProjectionDeadLettersWhatItRefuses(t *testing.T) {
	for _, p := range projections.All(nil) {
		if p.Group == topics.ProjectorEvents && (p.Guard == nil || p.DeadLetter != topics.DeadLetter.Name) {
			t.Errorf("projection %s: guard set %v, dead letters to %q; want its guard and %s", p.Name, p.Guard != nil, p.DeadLetter, topics.DeadLetter.Name)
		}
	}
}
