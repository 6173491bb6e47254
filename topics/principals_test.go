package topics

import (
	"slices"
	"strings"
	"testing"
)

// The rules the ACL matrix keeps (issue 22): they are checked here on the
// catalogue's principals with Principal.Allows, which decides as Kafka's
// authorizer does; topics/admin's tests show a broker enforcing them.

// everyOp is every operation a client may ask a topic, group or cluster for.
var everyOp = []Operation{OpRead, OpWrite, OpCreate, OpDelete, OpAlter, OpDescribe, OpDescribeConfigs, OpAlterConfigs}

func catalogueGroups() []string {
	var out []string
	for _, f := range GroupFlows() {
		out = append(out, f.Group)
	}
	for _, f := range ProjectorFlows() {
		out = append(out, f.Group)
	}
	return append(out, SchemaRegistryGroup)
}

func domainCommandTopics() []string { return commandTopics(Aggregates()) }

func nonAdmin() []Principal {
	var out []Principal
	for _, p := range Principals() {
		if p.Name != PrincipalName(RoleAdmin) {
			out = append(out, p)
		}
	}
	return out
}

func TestExternalProducersOnlyWriteCommandsAndReadResults(t *testing.T) {
	ext := External()
	for _, tp := range All() {
		for _, op := range everyOp {
			want := (op == OpWrite && slices.Contains(domainCommandTopics(), tp.Name)) ||
				(op == OpRead && tp.Name == Results.Name) ||
				// Kafka implies DESCRIBE from READ and WRITE: the metadata
				// of what one may read or write is not withheld.
				(op == OpDescribe && (slices.Contains(domainCommandTopics(), tp.Name) || tp.Name == Results.Name))
			if got := ext.Allows(ResourceTopic, tp.Name, op); got != want {
				t.Errorf("external producers may %s topic %s: %v, want %v", op, tp.Name, got, want)
			}
		}
	}
	if ext.Allows(ResourceTopic, IdempotencyKeys.Commands.Name, OpWrite) {
		t.Errorf("external producers may claim Idempotency-Keys, which only the API does")
	}
	for _, g := range catalogueGroups() {
		for _, op := range everyOp {
			if ext.Allows(ResourceGroup, g, op) {
				t.Errorf("external producers may %s group %s", op, g)
			}
		}
	}
	for _, op := range everyOp {
		if ext.Allows(ResourceCluster, ClusterName, op) {
			t.Errorf("external producers may %s the cluster", op)
		}
	}
}

// owners are the topics one group alone may write, by topic: every
// aggregate's event log and table, the saga's table, the notifications'
// table and record, and the registry's schemas.
func owners() map[string]string {
	out := map[string]string{
		SagaTable.Name:          PrincipalName(GroupRole(SagaGroup)),
		NotificationsTable.Name: PrincipalName(GroupRole(NotificationsGroup)),
		NotificationsSent.Name:  PrincipalName(GroupRole(NotificationsGroup)),
		Schemas.Name:            PrincipalName(RoleRegistry),
	}
	for _, a := range EngineAggregates() {
		out[a.Events.Name] = PrincipalName(GroupRole(a.Group))
		out[a.Table.Name] = PrincipalName(GroupRole(a.Group))
	}
	return out
}

func TestOnlyTheOwnerWritesAnEventTopicOrATable(t *testing.T) {
	for topic, owner := range owners() {
		var writers []string
		for _, p := range nonAdmin() {
			if p.Allows(ResourceTopic, topic, OpWrite) {
				writers = append(writers, p.Name)
			}
		}
		if !slices.Equal(writers, []string{owner}) {
			t.Errorf("%s is written by %v, want only %s", topic, writers, owner)
		}
	}
}

func TestNoPrincipalButTheAdminDeletesAltersOrChangesConfigs(t *testing.T) {
	forbidden := []Operation{OpAll, OpDelete, OpAlter, OpAlterConfigs}
	for _, p := range nonAdmin() {
		for _, g := range p.Grants {
			for _, op := range g.Ops {
				if slices.Contains(forbidden, op) {
					t.Errorf("%s has %s on %s", p.Name, op, g.Resource)
				}
			}
		}
		for _, op := range forbidden[1:] {
			for _, tp := range All() {
				if p.Allows(ResourceTopic, tp.Name, op) {
					t.Errorf("%s may %s topic %s", p.Name, op, tp.Name)
				}
			}
			for _, g := range catalogueGroups() {
				if p.Allows(ResourceGroup, g, op) {
					t.Errorf("%s may %s group %s", p.Name, op, g)
				}
			}
			if p.Allows(ResourceCluster, ClusterName, op) {
				t.Errorf("%s may %s the cluster", p.Name, op)
			}
		}
	}
	admin := Admin()
	for _, tp := range All() {
		for _, op := range forbidden[1:] {
			if !admin.Allows(ResourceTopic, tp.Name, op) {
				t.Errorf("the admin may not %s topic %s: break glass would not open", op, tp.Name)
			}
		}
	}
	if !admin.Allows(ResourceCluster, ClusterName, OpAlter) {
		t.Errorf("the admin may not ALTER the cluster, so it cannot create the ACLs")
	}
}

func TestEveryCatalogueTopicHasAWriter(t *testing.T) {
	for _, tp := range All() {
		written := false
		for _, p := range nonAdmin() {
			written = written || p.Allows(ResourceTopic, tp.Name, OpWrite)
		}
		if !written {
			t.Errorf("no principal but the admin writes %s", tp.Name)
		}
	}
}

// A projector writes ClickHouse, not Kafka: the only topic one may write is
// mallbots.deadletter, and only the events projector, which dead-letters
// the changed copies of events it refuses (docs/adr/0021), may.
func TestProjectorsWriteNoTopicButTheDeadLetters(t *testing.T) {
	for _, f := range ProjectorFlows() {
		p := ProjectorPrincipal(f)
		for _, tp := range All() {
			want := tp.Name == DeadLetter.Name && f.Group == ProjectorEvents
			if got := p.Allows(ResourceTopic, tp.Name, OpWrite); got != want {
				t.Errorf("%s may write %s: %v, want %v", p.Name, tp.Name, got, want)
			}
		}
	}
}

// Joining a group and committing its offsets take READ on it: only the
// group's own principal has it, so nobody else can move a processor's or a
// projector's offsets.
func TestEachGroupIsJoinedOnlyByItsOwnPrincipal(t *testing.T) {
	own := map[string]string{}
	for _, f := range GroupFlows() {
		own[f.Group] = PrincipalName(GroupRole(f.Group))
	}
	for _, f := range ProjectorFlows() {
		own[f.Group] = PrincipalName(ProjectorRole(f.Group))
	}
	for g, owner := range own {
		var readers []string
		for _, p := range nonAdmin() {
			if p.Allows(ResourceGroup, g, OpRead) {
				readers = append(readers, p.Name)
			}
		}
		if !slices.Equal(readers, []string{owner}) {
			t.Errorf("group %s is joined by %v, want only %s", g, readers, owner)
		}
	}
}

// Every grant is on a resource of the catalogue, by its literal name;
// only the admin and chaos (which watches every group) name families.
func TestGrantsNameOnlyCatalogueResources(t *testing.T) {
	var names []string
	for _, tp := range All() {
		names = append(names, tp.Name)
	}
	seen := map[string]bool{}
	for _, p := range Principals() {
		if !strings.HasPrefix(p.Name, PrincipalPrefix) || seen[p.Name] {
			t.Errorf("principal %q: every principal is a distinct %s<role>", p.Name, PrincipalPrefix)
		}
		seen[p.Name] = true
		if len(p.Grants) == 0 {
			t.Errorf("%s has no grant", p.Name)
		}
		for _, g := range p.Grants {
			r := g.Resource
			switch {
			case r.Pattern == PatternPrefixed:
				if p.Name != PrincipalName(RoleAdmin) && p.Name != PrincipalName(RoleChaos) {
					t.Errorf("%s is granted the family %s", p.Name, r)
				}
			case r.Type == ResourceTopic && !slices.Contains(names, r.Name):
				t.Errorf("%s is granted %s, which is not in the catalogue", p.Name, r)
			case r.Type == ResourceGroup && !slices.Contains(catalogueGroups(), r.Name):
				t.Errorf("%s is granted %s, which is not a group of the catalogue", p.Name, r)
			case r.Type == ResourceCluster && r.Name != ClusterName:
				t.Errorf("%s is granted %s", p.Name, r)
			}
		}
	}
	acls := ACLs()
	for i := 1; i < len(acls); i++ {
		if acls[i] == acls[i-1] {
			t.Errorf("ACL %s is listed twice", acls[i])
		}
	}
}

// The ACLs are derived, not listed: an aggregate added to the catalogue
// gets a principal that joins its group, reads its commands and writes its
// events and table, and the external producers may send it commands.
func TestANewAggregateGetsItsPrincipalFromTheCatalogue(t *testing.T) {
	widget := aggregate("widget", "widgets", "widgets", []string{"MakeWidget"}, []string{"WidgetMade"})
	p := GroupPrincipal(AggregateFlow(widget), "")
	if p.Name != "mallbots-widgets" {
		t.Errorf("the widget group's principal is %s, want mallbots-widgets", p.Name)
	}
	for _, c := range []struct {
		typ  ResourceType
		name string
		op   Operation
	}{
		{ResourceGroup, "mallbots.widgets", OpRead},
		{ResourceTopic, "mallbots.widgets.commands", OpRead},
		{ResourceTopic, "mallbots.widgets.events", OpWrite},
		{ResourceTopic, "mallbots.widgets-table", OpWrite},
		{ResourceTopic, Results.Name, OpWrite},
	} {
		if !p.Allows(c.typ, c.name, c.op) {
			t.Errorf("the widget group may not %s %s %s", c.op, c.typ, c.name)
		}
	}
	for _, a := range EngineAggregates() {
		got, ok := PrincipalByName(PrincipalName(GroupRole(a.Group)))
		if !ok || !got.Allows(ResourceTopic, a.Events.Name, OpWrite) || !got.Allows(ResourceGroup, a.Group, OpRead) {
			t.Errorf("aggregate %s has no principal that owns its group and events", a.Type)
		}
	}
}

// Kafka's matching, which Allows models: a prefix covers the names it
// starts, DESCRIBE comes with READ and WRITE, DESCRIBE_CONFIGS only with
// ALTER_CONFIGS, and ALL with everything.
func TestAllowsMatchesAsKafkaDoes(t *testing.T) {
	p := Principal{Grants: []Grant{
		{Resource{ResourceTopic, "a.", PatternPrefixed}, []Operation{OpRead}},
		{Resource{ResourceTopic, "b", PatternLiteral}, []Operation{OpAlterConfigs}},
		{Resource{ResourceGroup, "*", PatternLiteral}, []Operation{OpAll}},
	}}
	for _, c := range []struct {
		typ  ResourceType
		name string
		op   Operation
		want bool
	}{
		{ResourceTopic, "a.x", OpRead, true},
		{ResourceTopic, "a.x", OpDescribe, true},
		{ResourceTopic, "a.x", OpWrite, false},
		{ResourceTopic, "a", OpRead, false},
		{ResourceTopic, "b", OpDescribeConfigs, true},
		{ResourceTopic, "b", OpDescribe, false},
		{ResourceTopic, "bb", OpAlterConfigs, false},
		{ResourceGroup, "any", OpDelete, true},
		{ResourceTopic, "any", OpDelete, false},
	} {
		if got := p.Allows(c.typ, c.name, c.op); got != c.want {
			t.Errorf("Allows(%s %s, %s) = %v, want %v", c.typ, c.name, c.op, got, c.want)
		}
	}
}
