package topics

import (
	"slices"
	"strings"
)

// Every role that touches Kafka is a principal with exactly the operations
// it needs (issue 22, part 1): the event log can be appended to only by the
// group that owns it, and nobody but the break-glass admin can delete
// records or topics or change their configs. The ACLs are derived from the
// flows (flows.go) and the catalogue, never listed by hand, so a new
// aggregate gets its principal and its ACLs with it. docs/topics.md shows
// the matrix (MarkdownACLs); `mallbots topics apply` creates the ACLs and
// `mallbots topics check` reports drift (topics/admin).
//
// Every ACL ALLOWs, from any host: a principal is confined by what it is
// allowed, and no DENY is needed because nothing is allowed by default once
// the broker enforces ACLs. No principal gets IDEMPOTENT_WRITE on the
// cluster: since Kafka 2.8 (KIP-679), and in kfake, an idempotent producer
// needs WRITE on any topic instead, and every producer here has one. No
// principal gets a TRANSACTIONAL_ID: nothing in MallBots produces in
// transactions (goka's producers and every franz-go client are idempotent,
// not transactional).

// Operation is a Kafka ACL operation, spelled as Kafka spells it.
type Operation string

// The operations the principals are given. DESCRIBE is implied by READ,
// WRITE, DELETE and ALTER (KIP-253), so it is given alone only where none of
// those is; DESCRIBE_CONFIGS is implied only by ALTER_CONFIGS.
const (
	OpAll             Operation = "ALL"
	OpRead            Operation = "READ"
	OpWrite           Operation = "WRITE"
	OpCreate          Operation = "CREATE"
	OpDelete          Operation = "DELETE"
	OpAlter           Operation = "ALTER"
	OpDescribe        Operation = "DESCRIBE"
	OpDescribeConfigs Operation = "DESCRIBE_CONFIGS"
	OpAlterConfigs    Operation = "ALTER_CONFIGS"
)

// operationOrder is the order operations are listed in.
var operationOrder = []Operation{OpAll, OpRead, OpWrite, OpCreate, OpDelete, OpAlter, OpDescribe, OpDescribeConfigs, OpAlterConfigs}

// ResourceType is the kind of a Kafka ACL resource, spelled as Kafka does.
type ResourceType string

// The resource types the principals are given access to.
const (
	ResourceTopic   ResourceType = "TOPIC"
	ResourceGroup   ResourceType = "GROUP"
	ResourceCluster ResourceType = "CLUSTER"
)

// PatternType says how a resource name matches, spelled as Kafka does.
type PatternType string

// LITERAL names one resource; PREFIXED every resource whose name starts
// with the name (used only for families: the admin's, and chaos's reads
// of every group).
const (
	PatternLiteral  PatternType = "LITERAL"
	PatternPrefixed PatternType = "PREFIXED"
)

// ClusterName is the name of the cluster resource in every Kafka.
const ClusterName = "kafka-cluster"

// Resource is what an ACL is on.
type Resource struct {
	Type    ResourceType
	Name    string
	Pattern PatternType
}

func (r Resource) String() string {
	s := strings.ToLower(string(r.Type)) + " " + r.Name
	if r.Pattern == PatternPrefixed {
		s += "*"
	}
	return s
}

// Matches says whether the resource covers the resource of type t named
// name, as Kafka's authorizer matches names ("*" is Kafka's wildcard).
func (r Resource) Matches(t ResourceType, name string) bool {
	if r.Type != t {
		return false
	}
	if r.Pattern == PatternPrefixed {
		return strings.HasPrefix(name, r.Name)
	}
	return r.Name == name || r.Name == "*"
}

func topic(name string) Resource { return Resource{ResourceTopic, name, PatternLiteral} }
func group(name string) Resource { return Resource{ResourceGroup, name, PatternLiteral} }

// Grant is the operations a principal has on one resource.
type Grant struct {
	Resource Resource
	Ops      []Operation
}

// Principal is one role that touches Kafka.
type Principal struct {
	// Name is the SASL user name, "mallbots-<role>"; Kafka's principal is
	// User:<Name> (Kafka).
	Name string
	// Role is what runs as the principal.
	Role   string
	Grants []Grant
}

// PrincipalPrefix starts every MallBots principal's user name. The role
// after it is the component's name (`mallbots run --components`) for the
// goka groups, the projectors (projection.<name>), the API, the saga clock
// and the bot pool, so that each component can authenticate as its own
// principal.
const PrincipalPrefix = "mallbots-"

// Kafka is the principal as Kafka's ACLs name it: User:mallbots-<role>.
func (p Principal) Kafka() string { return "User:" + p.Name }

// Allows says whether the principal may do op on the resource of type t
// named name, as Kafka's authorizer decides from ALLOW ACLs alone: ALL
// allows everything, and READ, WRITE, DELETE and ALTER imply DESCRIBE,
// ALTER_CONFIGS implies DESCRIBE_CONFIGS.
func (p Principal) Allows(t ResourceType, name string, op Operation) bool {
	for _, g := range p.Grants {
		if !g.Resource.Matches(t, name) {
			continue
		}
		for _, have := range g.Ops {
			if implies(have, op) {
				return true
			}
		}
	}
	return false
}

func implies(have, want Operation) bool {
	switch {
	case have == want, have == OpAll:
		return true
	case want == OpDescribe:
		return have == OpRead || have == OpWrite || have == OpDelete || have == OpAlter
	case want == OpDescribeConfigs:
		return have == OpAlterConfigs
	}
	return false
}

// The roles that are not named after a goka group or a projector.
const (
	RoleAPI       = "api"
	RoleSagaClock = "saga-clock"
	RoleBotPool   = "botpool"
	RoleExternal  = "external"
	RoleRegistry  = "registry"
	RoleVerify    = "verify"
	RoleReplay    = "replay"
	RoleTopics    = "topics"
	RoleChaos     = "chaos"
	RoleMetrics   = "metrics"
	RoleAdmin     = "admin"
)

// PrincipalName is the user name of a role: "mallbots-<role>".
func PrincipalName(role string) string { return PrincipalPrefix + role }

// GroupRole is the role of a goka group: the group without "mallbots."
// ("stores", "saga.createorder"), as its component is named.
func GroupRole(group string) string { return strings.TrimPrefix(group, "mallbots.") }

// ProjectorRole is the role of a projector: "projection.<name>", as its
// component is named.
func ProjectorRole(group string) string { return "projection." + ProjectionName(group) }

// grants accumulates operations by resource, in the order resources are
// first named.
type grants struct {
	order []Resource
	ops   map[Resource][]Operation
}

func (g *grants) add(r Resource, ops ...Operation) {
	if g.ops == nil {
		g.ops = map[Resource][]Operation{}
	}
	if _, ok := g.ops[r]; !ok {
		g.order = append(g.order, r)
	}
	for _, op := range ops {
		if !slices.Contains(g.ops[r], op) {
			g.ops[r] = append(g.ops[r], op)
		}
	}
}

func (g *grants) topics(names []string, ops ...Operation) {
	for _, n := range names {
		g.add(topic(n), ops...)
	}
}

func (g *grants) principal(role, doc string) Principal {
	p := Principal{Name: PrincipalName(role), Role: doc}
	for _, r := range g.order {
		ops := slices.Clone(g.ops[r])
		slices.SortFunc(ops, func(a, b Operation) int {
			return slices.Index(operationOrder, a) - slices.Index(operationOrder, b)
		})
		p.Grants = append(p.Grants, Grant{Resource: r, Ops: ops})
	}
	return p
}

// GroupPrincipal is the principal of a goka group, from its flow: it joins
// and commits its group (READ), reads its inputs and lookups, writes its
// outputs, and reads and writes its own table, whose configs goka's topic
// manager describes at start.
func GroupPrincipal(f GroupFlow, doc string) Principal {
	var g grants
	g.add(group(f.Group), OpRead)
	g.topics(f.Inputs, OpRead)
	if f.Table != "" {
		g.add(topic(f.Table), OpRead, OpWrite, OpDescribeConfigs)
	}
	g.topics(f.Lookups, OpRead)
	g.topics(f.LogReads, OpRead)
	g.topics(f.Outputs, OpWrite)
	return g.principal(GroupRole(f.Group), doc)
}

// ProjectorPrincipal is the principal of a projector: it joins and commits
// its consumer group, reads its topics (its lag is measured with the same
// rights: end offsets and its own committed offsets) and writes its
// outputs (the dead letters of the records it refuses).
func ProjectorPrincipal(f ProjectorFlow) Principal {
	var g grants
	g.add(group(f.Group), OpRead)
	g.topics(f.Topics, OpRead)
	g.topics(f.Outputs, OpWrite)
	doc := "projector " + f.Group + ": writes ClickHouse from its topics"
	if slices.Contains(f.Outputs, DeadLetter.Name) {
		doc += ", dead-letters what it refuses"
	}
	return g.principal(ProjectorRole(f.Group), doc)
}
