package engine_test

import (
	"slices"
	"testing"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/notifications"
	"github.com/mallbots/mallbots/processors/policies"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/topics"
)

// The ACLs are derived from the catalogue's flows (topics/flows.go), not
// from the goka graphs, which the contract cannot import. These tests keep
// the two equal, edge for edge: a group that reads, looks up or emits to a
// topic its flow does not name would be refused by the broker, and a flow
// that names more than its graph uses would grant more than is needed.

// everyGroup builds every goka group the system runs.
func everyGroup(rt *engine.Runtime) []*goka.GroupGraph {
	var out []*goka.GroupGraph
	for _, c := range contexts {
		out = append(out, c.groups(rt)...)
	}
	return append(out, saga.Group(rt, 0), policies.Group(rt), notifications.Group(rt, nil))
}

func edgeTopics(edges goka.Edges) []string {
	var out []string
	for _, e := range edges {
		out = append(out, e.Topic())
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func TestEveryGroupGraphIsItsFlowInTheCatalogue(t *testing.T) {
	flows := map[string]topics.GroupFlow{}
	for _, f := range topics.GroupFlows() {
		flows[f.Group] = f
	}
	graphs := everyGroup(engine.New(nil))
	if len(graphs) != len(flows) {
		t.Errorf("%d goka groups, %d flows in the catalogue", len(graphs), len(flows))
	}
	for _, gg := range graphs {
		t.Run(string(gg.Group()), func(t *testing.T) {
			f, ok := flows[string(gg.Group())]
			if !ok {
				t.Fatalf("no flow in the catalogue (topics.GroupFlows): the group has no principal")
			}
			for _, c := range []struct {
				what       string
				graph, cat []string
			}{
				{"inputs", edgeTopics(gg.InputStreams()), sorted(f.Inputs)},
				{"lookups", edgeTopics(gg.LookupTables()), sorted(f.Lookups)},
				{"outputs", edgeTopics(gg.OutputStreams()), sorted(f.Outputs)},
			} {
				if !slices.Equal(c.graph, c.cat) {
					t.Errorf("%s: the graph has %v, the catalogue's flow %v", c.what, c.graph, c.cat)
				}
			}
			table := ""
			if gt := gg.GroupTable(); gt != nil {
				table = gt.Topic()
			}
			if table != f.Table {
				t.Errorf("table: the graph persists %q, the catalogue's flow %q", table, f.Table)
			}
			if len(gg.JointTables()) > 0 || gg.LoopStream() != nil {
				t.Errorf("joins and loops have no place in the flows yet: add them, and their ACLs")
			}
		})
	}
}

// What goka does with each edge, as the operation the broker checks; the
// group's own principal is allowed every one of them.
func TestEveryGroupsPrincipalIsAllowedEveryEdgeOfItsGraph(t *testing.T) {
	for _, gg := range everyGroup(engine.New(nil)) {
		p, ok := topics.PrincipalByName(topics.PrincipalName(topics.GroupRole(string(gg.Group()))))
		if !ok {
			t.Errorf("group %s has no principal", gg.Group())
			continue
		}
		type need struct {
			typ  topics.ResourceType
			name string
			op   topics.Operation
		}
		needs := []need{{topics.ResourceGroup, string(gg.Group()), topics.OpRead}} // join, commit
		for _, e := range gg.InputStreams() {
			needs = append(needs, need{topics.ResourceTopic, e.Topic(), topics.OpRead})
		}
		for _, e := range gg.LookupTables() {
			needs = append(needs, need{topics.ResourceTopic, e.Topic(), topics.OpRead})
		}
		for _, e := range gg.OutputStreams() {
			needs = append(needs, need{topics.ResourceTopic, e.Topic(), topics.OpWrite})
		}
		if gt := gg.GroupTable(); gt != nil {
			// goka writes the table, recovers it by reading it, and its
			// topic manager describes the table's configs at start.
			for _, op := range []topics.Operation{topics.OpRead, topics.OpWrite, topics.OpDescribeConfigs} {
				needs = append(needs, need{topics.ResourceTopic, gt.Topic(), op})
			}
		}
		for _, n := range needs {
			if !p.Allows(n.typ, n.name, n.op) {
				t.Errorf("%s may not %s %s %s, which its graph needs", p.Name, n.op, n.typ, n.name)
			}
		}
	}
}
