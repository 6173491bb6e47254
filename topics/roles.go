package topics

import "sort"

// Principals lists every MallBots principal with its grants: one per goka
// group, one per projector, the API, the saga clock, the bot pool, external
// command producers, the schema registry, the metrics' lag watcher, the
// operators' tools (verify, replay, topics, chaos) and the break-glass
// admin.
//
// What is not here, and why: `mallbots migrate` reaches only ClickHouse;
// `mallbots load` and the sample traffic only the HTTP API; `mallbots
// bench` runs its own broker. The operations that rewrite history or
// topics are the admin's, by design: `mallbots replay --table` (it deletes
// and recreates the rebuild topic and writes onto a processor's table),
// `mallbots topics copy` (it writes event topics) and the ACLs themselves
// (`mallbots topics apply` creates them, which needs ALTER on the cluster).
func Principals() []Principal {
	var out []Principal
	for _, a := range EngineAggregates() {
		out = append(out, GroupPrincipal(AggregateFlow(a), "goka group "+a.Group+": decides the "+a.Type+" commands, owns its events and table"))
	}
	out = append(out,
		GroupPrincipal(SagaFlow(), "goka group "+SagaGroup+": the create-order saga"),
		GroupPrincipal(PoliciesFlow(), "goka group "+PoliciesGroup+": turns events into commands"),
		GroupPrincipal(NotificationsFlow(), "goka group "+NotificationsGroup+": sends and records notifications"),
	)
	for _, f := range ProjectorFlows() {
		out = append(out, ProjectorPrincipal(f))
	}
	return append(out, api(), sagaClock(), botPool(), External(), registry(), metricsWatcher(), verify(), replay(), topicsTool(), chaos(), Admin())
}

// api is the HTTP API: the goka views of every aggregate's table and of
// the saga's (GET /api/ordering/{id}/saga), an emitter per command topic
// (the Idempotency-Key claims included), the tail of the results, the
// event logs for GET /api/history and the dead letters. Its
// Idempotency-Key group runs in the same process but as that group's own
// principal.
func api() Principal {
	var g grants
	for _, a := range Aggregates() {
		g.add(topic(a.Table.Name), OpRead)
	}
	g.add(topic(SagaTable.Name), OpRead)
	for _, a := range Aggregates() {
		g.add(topic(a.Events.Name), OpRead)
	}
	g.add(topic(Results.Name), OpRead)
	// The operators' page (GET /api/operations) lists the newest dead
	// letters with their reasons.
	g.add(topic(DeadLetter.Name), OpRead)
	for _, a := range EngineAggregates() {
		g.add(topic(a.Commands.Name), OpWrite)
	}
	return g.principal(RoleAPI, "the HTTP API and its command emitters")
}

// sagaClock follows the saga table through a goka view and emits the
// steps' timeouts to the saga's replies.
func sagaClock() Principal {
	var g grants
	g.add(topic(SagaTable.Name), OpRead)
	g.add(topic(SagaReplies.Name), OpWrite)
	return g.principal(RoleSagaClock, "the saga clock: times the saga's steps out")
}

// BotPoolSends are the aggregates whose commands the depot's bots send
// (AssignBot, ReleaseBot; AssignShoppingList, CompleteShoppingList).
var BotPoolSends = []Aggregate{Bots, ShoppingLists}

// botPool follows the shopping-list and bot tables through goka views,
// sends the bots' commands and waits for their results.
func botPool() Principal {
	var g grants
	g.add(topic(ShoppingLists.Table.Name), OpRead)
	g.add(topic(Bots.Table.Name), OpRead)
	g.add(topic(Results.Name), OpRead)
	g.topics(commandTopics(BotPoolSends), OpWrite)
	return g.principal(RoleBotPool, "the depot's bot pool")
}

// External is the principal of command producers outside MallBots
// (partners, scripts, kcat, confluent-kafka): they may write the domain's
// command topics and read the results, nothing else. They read results by
// assigning partitions, as the API does, so they join no consumer group.
// The Idempotency-Key claims are the API's own and not theirs.
func External() Principal {
	var g grants
	for _, a := range Aggregates() {
		g.add(topic(a.Commands.Name), OpWrite)
	}
	g.add(topic(Results.Name), OpRead)
	return g.principal(RoleExternal, "external command producers: write commands, read results")
}

// registry is the embedded schema registry (or a Confluent registry): it
// keeps its schemas on _schemas and checks the topic's configs at start.
func registry() Principal {
	var g grants
	g.add(topic(Schemas.Name), OpRead, OpWrite, OpDescribeConfigs)
	g.add(group(SchemaRegistryGroup), OpRead) // Confluent's registry elects its primary in it
	return g.principal(RoleRegistry, "the schema registry")
}

// metricsWatcher measures every consumer group's lag for /metrics
// (mallbots_consumer_group_lag): it lists and describes the groups, reads
// their committed offsets and the topics' end offsets. DESCRIBE alone, on
// each group and topic by name: it reads no record and joins no group.
func metricsWatcher() Principal {
	var g grants
	for _, f := range GroupFlows() {
		g.add(group(f.Group), OpDescribe)
	}
	for _, f := range ProjectorFlows() {
		g.add(group(f.Group), OpDescribe)
	}
	for _, t := range All() {
		g.add(topic(t.Name), OpDescribe)
	}
	return g.principal(RoleMetrics, "the metrics' lag watcher: describes groups and offsets")
}

// verify reads every event log and state table and checks their configs
// (`mallbots verify`).
func verify() Principal {
	var g grants
	for _, a := range Aggregates() {
		g.add(topic(a.Events.Name), OpRead, OpDescribeConfigs)
		g.add(topic(a.Table.Name), OpRead, OpDescribeConfigs)
	}
	return g.principal(RoleVerify, "`mallbots verify`: reads the logs and tables")
}

// replay reads what `mallbots replay --aggregate` and `--projection` fold:
// the event logs and every projector's topics. `--table` is the admin's.
func replay() Principal {
	var g grants
	g.topics(EventTopics(), OpRead)
	for _, f := range ProjectorFlows() {
		g.topics(f.Topics, OpRead)
	}
	return g.principal(RoleReplay, "`mallbots replay --aggregate|--projection`: reads the logs")
}

// topicsTool creates the catalogue's topics and reports drift: CREATE and
// DESCRIBE_CONFIGS on each topic (CREATE does not imply DESCRIBE), and
// DESCRIBE on the cluster to read the ACLs back.
func topicsTool() Principal {
	var g grants
	for _, t := range All() {
		g.add(topic(t.Name), OpCreate, OpDescribe, OpDescribeConfigs)
	}
	g.add(Resource{ResourceCluster, ClusterName, PatternLiteral}, OpDescribe)
	return g.principal(RoleTopics, "`mallbots topics apply` (topics) and `check`")
}

// chaos injects faults into a running mall (`mallbots chaos`): poison and
// duplicated commands, duplicated saga replies; it reads those topics, the
// results and the dead letters back, checks the log as verify does, and
// watches every group's members and lag (DESCRIBE on every mallbots topic
// and group). It commits no offsets and writes no event topic or table.
func chaos() Principal {
	g := grantsOf(verify())
	for _, a := range Aggregates() {
		g.add(topic(a.Commands.Name), OpRead, OpWrite)
	}
	g.add(topic(SagaReplies.Name), OpRead, OpWrite)
	g.add(topic(Results.Name), OpRead)
	g.add(topic(DeadLetter.Name), OpRead)
	g.add(Resource{ResourceTopic, "mallbots.", PatternPrefixed}, OpDescribe)
	g.add(Resource{ResourceGroup, "mallbots.", PatternPrefixed}, OpDescribe)
	return g.principal(RoleChaos, "`mallbots chaos`: injects faults, watches groups")
}

// Admin is the break-glass principal no running component uses: ALL on the
// cluster (which includes creating and deleting ACLs) and on every mallbots
// topic and group, _schemas included. It alone may delete records or
// topics and alter configs.
func Admin() Principal {
	var g grants
	g.add(Resource{ResourceCluster, ClusterName, PatternLiteral}, OpAll)
	g.add(Resource{ResourceTopic, "mallbots.", PatternPrefixed}, OpAll)
	g.add(topic(Schemas.Name), OpAll)
	g.add(Resource{ResourceGroup, "mallbots.", PatternPrefixed}, OpAll)
	return g.principal(RoleAdmin, "break-glass admin: no running component uses it")
}

// grantsOf starts grants from another principal's.
func grantsOf(p Principal) grants {
	var g grants
	for _, gr := range p.Grants {
		g.add(gr.Resource, gr.Ops...)
	}
	return g
}

// PrincipalByName finds a principal by its user name.
func PrincipalByName(name string) (Principal, bool) {
	for _, p := range Principals() {
		if p.Name == name {
			return p, true
		}
	}
	return Principal{}, false
}

// ACL is one ALLOW entry from any host, as the broker stores it.
type ACL struct {
	// Principal is Kafka's name for it: User:mallbots-<role>.
	Principal string
	Resource  Resource
	Operation Operation
}

func (a ACL) String() string {
	return a.Principal + " " + string(a.Operation) + " on " + a.Resource.String()
}

// ACLs lists every ACL of every principal, sorted by principal, resource
// and operation.
func ACLs() []ACL {
	var out []ACL
	for _, p := range Principals() {
		for _, g := range p.Grants {
			for _, op := range g.Ops {
				out = append(out, ACL{Principal: p.Kafka(), Resource: g.Resource, Operation: op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
