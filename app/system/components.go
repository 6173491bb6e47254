package system

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mallbots/mallbots/topics"
)

// The components one instance can run. Every goka group is a component
// named after its group without the "mallbots." prefix (the aggregates,
// "saga.createorder", "policies", "notifications"); the others are named
// here. The embedded infrastructure runs whenever its address is not given.
const (
	ComponentAPI       = "api"
	ComponentSagaClock = "saga-clock"
	ComponentBotPool   = "botpool"
)

// projectionComponent names a projection's component.
func projectionComponent(name string) string { return "projection." + name }

// ComponentNames lists every component name.
func ComponentNames() []string {
	var names []string
	for _, a := range topics.Aggregates() {
		names = append(names, short(a.Group))
	}
	names = append(names, short(topics.SagaGroup), short(topics.PoliciesGroup), short(topics.NotificationsGroup),
		ComponentSagaClock, ComponentAPI, ComponentBotPool,
		projectionComponent("events"), projectionComponent("state"), projectionComponent("notifications"), projectionComponent("search"),
		projectionComponent("analytics"))
	return names
}

func short(group string) string { return strings.TrimPrefix(group, "mallbots.") }

func validComponents(list []string) error {
	known := ComponentNames()
	for _, c := range list {
		name := strings.TrimPrefix(c, "-")
		if name != "all" && name != "none" && !slices.Contains(known, name) {
			return fmt.Errorf("unknown component %q: choose from all, none, %s (prefix a name with - to leave it out)", c, strings.Join(known, ", "))
		}
	}
	return nil
}

// runs says whether this instance runs a component: everything by default;
// with a list, the names it adds ("all" adds every one) minus the names it
// removes ("-name"). "none" runs only the embedded infrastructure (broker,
// registry, ClickHouse) and the health endpoints: a broker for other
// instances.
func (c Config) runs(name string) bool {
	if len(c.Components) == 0 {
		return true
	}
	on := false
	for _, comp := range c.Components {
		switch comp {
		case "all", name:
			on = true
		case "-" + name:
			on = false
		}
	}
	return on
}
