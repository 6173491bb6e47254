package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mallbots/mallbots/topics"
)

// ErrNoAuthorizer is returned (wrapped, with kerr.SecurityDisabled) by
// ApplyACLs and CheckACLs when the broker runs no authorizer: it keeps no
// ACLs and enforces none, so every client may do anything.
var ErrNoAuthorizer = errors.New("the broker runs no authorizer, so it enforces no ACLs (configure authorizer.class.name, e.g. org.apache.kafka.metadata.authorizer.StandardAuthorizer)")

// BrokerACL is one ACL as the broker holds it.
type BrokerACL struct {
	Principal  string
	Host       string
	Permission string // ALLOW or DENY
	Resource   topics.Resource
	Operation  topics.Operation
}

func (a BrokerACL) String() string {
	s := a.Principal + " " + a.Permission + " " + string(a.Operation) + " on " + a.Resource.String()
	if a.Host != "*" {
		s += " from " + a.Host
	}
	return s
}

// is says whether the broker's ACL is exactly the catalogue's: an ALLOW
// from any host.
func (a BrokerACL) is(want topics.ACL) bool {
	return a.Permission == "ALLOW" && a.Host == "*" && a.Principal == want.Principal &&
		a.Resource == want.Resource && a.Operation == want.Operation
}

// ListACLs returns every ACL the broker holds. A broker without an
// authorizer answers ErrNoAuthorizer.
func ListACLs(ctx context.Context, adm *kadm.Client) ([]BrokerACL, error) {
	all := kadm.NewACLs().AnyResource().ResourcePatternType(kadm.ACLPatternAny).Operations().
		Allow().AllowHosts().Deny().DenyHosts()
	results, err := adm.DescribeACLs(ctx, all)
	if err == nil {
		for _, r := range results {
			if err = r.Err; err != nil {
				break
			}
		}
	}
	if errors.Is(err, kerr.SecurityDisabled) {
		return nil, fmt.Errorf("%w: %w", ErrNoAuthorizer, err)
	}
	if err != nil {
		return nil, fmt.Errorf("describe the broker's ACLs (this needs DESCRIBE on the cluster): %w", err)
	}
	var out []BrokerACL
	for _, r := range results {
		for _, d := range r.Described {
			out = append(out, BrokerACL{
				Principal: d.Principal, Host: d.Host, Permission: d.Permission.String(),
				Resource:  topics.Resource{Type: topics.ResourceType(d.Type.String()), Name: d.Name, Pattern: topics.PatternType(d.Pattern.String())},
				Operation: topics.Operation(d.Operation.String()),
			})
		}
	}
	return out, nil
}

// ApplyACLs creates every ACL of acls that the broker does not hold yet and
// returns the ones it created. It never deletes an ACL: an extra one is
// for CheckACLs to report and for an operator to remove, as Apply never
// alters a topic. Creating ACLs needs ALTER on the cluster: run it as the
// admin principal (topics.Admin).
func ApplyACLs(ctx context.Context, adm *kadm.Client, acls []topics.ACL) ([]topics.ACL, error) {
	held, err := ListACLs(ctx, adm)
	if err != nil {
		return nil, err
	}
	var missing []topics.ACL
	for _, want := range acls {
		if !holds(held, want) {
			missing = append(missing, want)
		}
	}
	var created []topics.ACL
	for _, batch := range batches(missing) {
		b, err := builder(batch)
		if err != nil {
			return created, err
		}
		results, err := adm.CreateACLs(ctx, b)
		if err != nil {
			return created, fmt.Errorf("create ACLs (%s, …): %w", batch[0], err)
		}
		for _, r := range results {
			if r.Err != nil {
				if errors.Is(r.Err, kerr.SecurityDisabled) {
					return created, fmt.Errorf("%w: %w", ErrNoAuthorizer, r.Err)
				}
				return created, fmt.Errorf("create ACL %s %s on %s %s (creating ACLs needs ALTER on the cluster: run as the admin): %w %s",
					r.Principal, r.Operation, r.Type, r.Name, r.Err, r.ErrMessage)
			}
		}
		created = append(created, batch...)
	}
	return created, nil
}

func holds(held []BrokerACL, want topics.ACL) bool {
	for _, h := range held {
		if h.is(want) {
			return true
		}
	}
	return false
}

// batches groups ACLs that one kadm builder can create: a builder creates
// every combination of its names and operations, so a batch is one
// principal, resource type, pattern and operation over many names.
func batches(acls []topics.ACL) [][]topics.ACL {
	type key struct {
		principal string
		typ       topics.ResourceType
		pattern   topics.PatternType
		op        topics.Operation
	}
	var order []key
	by := map[key][]topics.ACL{}
	for _, a := range acls {
		k := key{a.Principal, a.Resource.Type, a.Resource.Pattern, a.Operation}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], a)
	}
	out := make([][]topics.ACL, len(order))
	for i, k := range order {
		out[i] = by[k]
	}
	return out
}

func builder(batch []topics.ACL) (*kadm.ACLBuilder, error) {
	first := batch[0]
	op, err := kmsg.ParseACLOperation(string(first.Operation))
	if err != nil {
		return nil, fmt.Errorf("ACL %s: %w", first, err)
	}
	pattern, err := kmsg.ParseACLResourcePatternType(string(first.Resource.Pattern))
	if err != nil {
		return nil, fmt.Errorf("ACL %s: %w", first, err)
	}
	names := make([]string, len(batch))
	for i, a := range batch {
		names[i] = a.Resource.Name
	}
	b := kadm.NewACLs().Allow(first.Principal).Operations(op).ResourcePatternType(pattern)
	switch first.Resource.Type {
	case topics.ResourceTopic:
		b.Topics(names...)
	case topics.ResourceGroup:
		b.Groups(names...)
	case topics.ResourceCluster:
		b.Clusters() // Kafka has one cluster resource, kafka-cluster
	default:
		return nil, fmt.Errorf("ACL %s: no resource type %s in the catalogue", first, first.Resource.Type)
	}
	return b, nil
}

// ACLDrift is one difference between the catalogue's ACLs and the broker's.
type ACLDrift struct {
	// What is "missing" (the catalogue's, not on the broker) or "extra"
	// (on the broker, not the catalogue's).
	What string
	ACL  BrokerACL
}

func (d ACLDrift) String() string {
	if d.What == "missing" {
		return fmt.Sprintf("acl missing: %s (run `mallbots topics apply` as the admin)", d.ACL)
	}
	return fmt.Sprintf("acl extra: %s (not in the catalogue: remove it, e.g. with kafka-acls --remove)", d.ACL)
}

// CheckACLs compares the broker's ACLs with acls and lists the drift: each
// of acls the broker lacks, and each ACL the broker holds beyond them that
// concerns MallBots. An ACL concerns MallBots when it names one of its
// principals (User:mallbots-…), any principal (User:*), or when its
// resource covers a topic or group of the catalogue (a literal name, "*",
// or a prefix of one): such an ACL widens what someone may do to the mall.
// ACLs of other principals on other resources belong to other tenants of
// the cluster and are left alone. Reading ACLs needs DESCRIBE on the
// cluster (the topics principal has it).
func CheckACLs(ctx context.Context, adm *kadm.Client, acls []topics.ACL) ([]ACLDrift, error) {
	held, err := ListACLs(ctx, adm)
	if err != nil {
		return nil, err
	}
	var drift []ACLDrift
	for _, want := range acls {
		if !holds(held, want) {
			drift = append(drift, ACLDrift{What: "missing", ACL: BrokerACL{
				Principal: want.Principal, Host: "*", Permission: "ALLOW", Resource: want.Resource, Operation: want.Operation}})
		}
	}
	for _, h := range held {
		wanted := false
		for _, want := range acls {
			if h.is(want) {
				wanted = true
				break
			}
		}
		if !wanted && concernsMallbots(h) {
			drift = append(drift, ACLDrift{What: "extra", ACL: h})
		}
	}
	sort.SliceStable(drift, func(i, j int) bool {
		if drift[i].What != drift[j].What {
			return drift[i].What == "missing"
		}
		return drift[i].ACL.String() < drift[j].ACL.String()
	})
	return drift, nil
}

func concernsMallbots(a BrokerACL) bool {
	if strings.HasPrefix(a.Principal, "User:"+topics.PrincipalPrefix) || a.Principal == "User:*" {
		return true
	}
	for _, name := range catalogueTopics() {
		if a.Resource.Matches(topics.ResourceTopic, name) {
			return true
		}
	}
	for _, name := range catalogueGroups() {
		if a.Resource.Matches(topics.ResourceGroup, name) {
			return true
		}
	}
	return false
}

func catalogueTopics() []string {
	var out []string
	for _, t := range topics.All() {
		out = append(out, t.Name)
	}
	return out
}

func catalogueGroups() []string {
	var out []string
	for _, f := range topics.GroupFlows() {
		out = append(out, f.Group)
	}
	for _, f := range topics.ProjectorFlows() {
		out = append(out, f.Group)
	}
	return out
}
