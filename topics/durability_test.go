package topics_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/topics"
)

func TestEveryTopicOfTheCatalogueHasAClass(t *testing.T) {
	for _, tp := range topics.All() {
		if !slices.Contains(topics.Classes(), tp.Class) {
			t.Errorf("%s has class %q, not one of %v", tp.Name, tp.Class, topics.Classes())
		}
	}
	for _, a := range topics.EngineAggregates() {
		if a.Events.Class != topics.ClassEventLog || a.Table.Class != topics.ClassTable || a.Commands.Class != topics.ClassCommands {
			t.Errorf("%s: events, table and commands are %q, %q and %q", a.Type, a.Events.Class, a.Table.Class, a.Commands.Class)
		}
	}
}

func TestAClusterOfThreeOrMoreReplicatesThreeTimesWithMinISRTwo(t *testing.T) {
	for _, tc := range []struct {
		brokers      int
		factor       int16
		minISR       int
		wantF, wantM int
	}{
		{brokers: 1, wantF: 1, wantM: 1},
		{brokers: 2, wantF: 2, wantM: 1},
		{brokers: 3, wantF: 3, wantM: 2},
		{brokers: 6, wantF: 3, wantM: 2},
		{brokers: 6, factor: 5, wantF: 5, wantM: 4},
		{brokers: 6, factor: 5, minISR: 3, wantF: 5, wantM: 3},
	} {
		d := topics.ForCluster(tc.brokers, tc.factor, tc.minISR)
		for _, c := range topics.Classes() {
			if r := d.For(c); int(r.Factor) != tc.wantF || r.MinInsync != tc.wantM {
				t.Errorf("ForCluster(%d, %d, %d) gives %s %s, want factor %d and min ISR %d",
					tc.brokers, tc.factor, tc.minISR, c, r, tc.wantF, tc.wantM)
			}
		}
		if err := d.Validate(tc.brokers); err != nil {
			t.Errorf("ForCluster(%d, %d, %d) does not validate: %v", tc.brokers, tc.factor, tc.minISR, err)
		}
	}
	if d := topics.SingleBroker(); d != topics.ForCluster(1, 1, 1) || d.Results.Factor != 1 {
		t.Errorf("SingleBroker is %v, want one copy of everything", d)
	}
}

func TestDurabilityThatCannotWorkIsRefusedWithEveryReason(t *testing.T) {
	for _, tc := range []struct {
		name    string
		d       topics.Durability
		brokers int
		says    []string
	}{
		{"more replicas than brokers", topics.ForCluster(3, 3, 2), 1, []string{"replication factor 3 on a cluster of 1 brokers"}},
		{"a min ISR above the factor", topics.ForCluster(3, 2, 3), 3, []string{"min.insync.replicas 3 above the replication factor 2"}},
		{"nothing set", topics.Durability{}, 3, []string{"replication factor 0", "min.insync.replicas 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.d.Validate(tc.brokers)
			if err == nil {
				t.Fatalf("%v validates on %d brokers", tc.d, tc.brokers)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q:\n%v", s, err)
				}
			}
			for _, c := range topics.Classes() {
				if !strings.Contains(err.Error(), string(c)+":") {
					t.Errorf("the error does not name class %s:\n%v", c, err)
				}
			}
		})
	}
}
