package topics

import "strings"

// The flows say which topics each goka group and each projector reads and
// writes. The principals (principals.go) are derived from them, so the
// ACLs are only as right as these lists: processors/engine's
// acl_graphs_test.go checks them against every group's goka graph, and
// views/projections' flows_test.go against every projection, edge for
// edge. A new aggregate gets its flow, and with it its principal and its
// ACLs, from EngineAggregates.

// GroupFlow is what one goka group reads and writes: its goka edges, and
// what it reads outside goka.
type GroupFlow struct {
	// Group is the goka group (a consumer group on the broker).
	Group string
	// Inputs are the streams the group consumes (goka.Input).
	Inputs []string
	// Table is the group's own table (goka.Persist), "" for a stateless
	// group. goka writes it, recovers it by reading it, and its topic
	// manager describes its configs at start.
	Table string
	// Lookups are other groups' tables it reads (goka.Lookup).
	Lookups []string
	// Outputs are the topics it emits to (goka.Output).
	Outputs []string
	// LogReads are topics it reads directly, outside goka: an aggregate's
	// reconciliation reads the tail of its own event topic (ADR 0004).
	LogReads []string
}

// aggregateLookups are the tables each aggregate's rules read, by group
// (the processors/<context> packages pass the same lists to engine.Group).
var aggregateLookups = map[string][]string{
	Products.Group:      {Stores.Table.Name},                                            // AddProduct's store
	Payments.Group:      {Customers.Table.Name},                                         // AuthorizePayment's customer
	Baskets.Group:       {Customers.Table.Name, Products.Table.Name, Stores.Table.Name}, // StartBasket's customer, AddItem's product and store
	ShoppingLists.Group: {Stores.Table.Name, Products.Table.Name},                       // the stops and items
}

// LookupsOf lists the tables an aggregate's rules look up.
func LookupsOf(a Aggregate) []string { return aggregateLookups[a.Group] }

// AggregateFlow is the flow of an aggregate's group (processors/engine's
// Group): its commands in, its snapshot persisted, its events, results,
// saga replies and dead letters out, and its own command topic out too, to
// forward a command that arrived on a partition its key does not hash to.
func AggregateFlow(a Aggregate) GroupFlow {
	return GroupFlow{
		Group:    a.Group,
		Inputs:   []string{a.Commands.Name},
		Table:    a.Table.Name,
		Lookups:  LookupsOf(a),
		Outputs:  []string{a.Events.Name, Results.Name, DeadLetter.Name, a.Commands.Name, SagaReplies.Name},
		LogReads: []string{a.Events.Name},
	}
}

// SagaSends are the aggregates whose commands the create-order saga sends.
var SagaSends = []Aggregate{Customers, ShoppingLists, Payments, Orders}

// PolicyInputs are the aggregates whose events the policies turn into
// commands, and PolicySends those whose commands they send.
var (
	PolicyInputs = []Aggregate{Baskets, ShoppingLists, Orders, Invoices}
	PolicySends  = []Aggregate{Orders, Invoices, ShoppingLists}
)

// SagaFlow is the create-order saga's group.
func SagaFlow() GroupFlow {
	return GroupFlow{
		Group:   SagaGroup,
		Inputs:  []string{Orders.Events.Name, SagaReplies.Name},
		Table:   SagaTable.Name,
		Outputs: append([]string{DeadLetter.Name}, commandTopics(SagaSends)...),
	}
}

// PoliciesFlow is the policies' stateless group.
func PoliciesFlow() GroupFlow {
	f := GroupFlow{Group: PoliciesGroup, Outputs: append([]string{DeadLetter.Name}, commandTopics(PolicySends)...)}
	for _, a := range PolicyInputs {
		f.Inputs = append(f.Inputs, a.Events.Name)
	}
	return f
}

// NotificationsFlow is the notifications' group with its default sender,
// which records every message on NotificationsSent.
func NotificationsFlow() GroupFlow {
	return GroupFlow{
		Group:   NotificationsGroup,
		Inputs:  []string{Orders.Events.Name},
		Table:   NotificationsTable.Name,
		Lookups: []string{Customers.Table.Name},
		Outputs: []string{DeadLetter.Name, NotificationsSent.Name},
	}
}

// GroupFlows lists the flow of every goka group: each aggregate's, the
// saga's, the policies' and the notifications'.
func GroupFlows() []GroupFlow {
	var out []GroupFlow
	for _, a := range EngineAggregates() {
		out = append(out, AggregateFlow(a))
	}
	return append(out, SagaFlow(), PoliciesFlow(), NotificationsFlow())
}

// ProjectorFlow is what one projector (a franz-go consumer group that
// writes ClickHouse) reads, and the topics it writes.
type ProjectorFlow struct {
	Group  string
	Topics []string
	// Outputs are the topics it produces to: mallbots.deadletter for a
	// projector whose projection refuses records (warehouse.Projection's
	// DeadLetter).
	Outputs []string
}

// ProjectorFlows lists every projector, the topics it consumes and those
// it writes (views/projections builds the same lists).
func ProjectorFlows() []ProjectorFlow {
	var tables []string
	for _, a := range Aggregates() {
		tables = append(tables, a.Table.Name)
	}
	return []ProjectorFlow{
		// The events projection dead-letters a changed copy of an event the
		// warehouse holds, which it refuses (docs/adr/0021).
		{Group: ProjectorEvents, Topics: EventTopics(), Outputs: []string{DeadLetter.Name}},
		{Group: ProjectorState, Topics: tables},
		{Group: ProjectorNotifications, Topics: []string{NotificationsSent.Name}},
		{Group: ProjectorSearch, Topics: []string{Orders.Table.Name}},
		{Group: ProjectorAnalytics, Topics: []string{Orders.Events.Name, Baskets.Events.Name}},
	}
}

// ProjectionName is the name a projector's projection and component go by
// ("events" for mallbots.projector.events).
func ProjectionName(group string) string { return strings.TrimPrefix(group, "mallbots.projector.") }

func commandTopics(aggs []Aggregate) []string {
	out := make([]string, len(aggs))
	for i, a := range aggs {
		out[i] = a.Commands.Name
	}
	return out
}
