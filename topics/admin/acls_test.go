package admin_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// The catalogue's ACLs on a broker that enforces them: kfake with SASL and
// ACLs on, a superuser that applies them (as the setup job will, before
// any ACL exists), and the principals as ordinary SASL users.

const superuser = "root"

// secured starts a kfake broker that authenticates with SCRAM-SHA-256 and
// enforces ACLs; users are the catalogue principals it knows (password
// "pw-<name>").
func secured(t *testing.T, users ...string) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(scramSHA256, superuser, "pw-"+superuser)}
	for _, u := range users {
		opts = append(opts, kfake.User(scramSHA256, u, "pw-"+u))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

const scramSHA256 = "SCRAM-SHA-256"

// as connects to c as user.
func as(t *testing.T, c *kfake.Cluster, user string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.SASL(scram.Auth{User: user, Pass: "pw-" + user}.AsSha256Mechanism()),
		kgo.RequestRetries(0)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client for %s: %v", user, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(t *testing.T, cl *kgo.Client, topic string) error {
	t.Helper()
	return cl.ProduceSync(ctxFor(t), &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")}).FirstErr()
}

func name(role string) string { return topics.PrincipalName(role) }

// appliedBroker is a secured broker with the catalogue's topics and ACLs
// applied by the superuser.
func appliedBroker(t *testing.T, users ...string) (*kfake.Cluster, *kadm.Client) {
	t.Helper()
	c := secured(t, users...)
	root := kadm.NewClient(as(t, c, superuser))
	if _, err := admin.Apply(ctxFor(t), root, topics.All()); err != nil {
		t.Fatalf("apply the topics: %v", err)
	}
	created, err := admin.ApplyACLs(ctxFor(t), root, topics.ACLs())
	if err != nil {
		t.Fatalf("apply the ACLs: %v", err)
	}
	if len(created) != len(topics.ACLs()) {
		t.Fatalf("the first ApplyACLs created %d ACLs, the catalogue has %d", len(created), len(topics.ACLs()))
	}
	return c, root
}

func TestExternalProducersWriteCommandsButNotEventsAndDeleteNothing(t *testing.T) {
	ext := name(topics.RoleExternal)
	c, root := appliedBroker(t, ext)
	cl := as(t, c, ext)

	if err := produce(t, cl, topics.Stores.Commands.Name); err != nil {
		t.Errorf("the external producer could not send a command to %s: %v", topics.Stores.Commands.Name, err)
	}
	if err := produce(t, cl, topics.Stores.Events.Name); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("the external producer appended to %s: want TOPIC_AUTHORIZATION_FAILED, got %v", topics.Stores.Events.Name, err)
	}
	adm := kadm.NewClient(cl)
	resps, err := adm.DeleteTopics(ctxFor(t), topics.Stores.Events.Name)
	if err == nil {
		err = resps.Error()
	}
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("the external producer deleting %s: want TOPIC_AUTHORIZATION_FAILED, got %v", topics.Stores.Events.Name, err)
	}
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: topics.Stores.Commands.Name, Partition: 0, At: 1_000_000})
	committed, err := adm.CommitOffsets(ctxFor(t), topics.Stores.Group, commit)
	if err == nil {
		err = committed.Error()
	}
	if !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Errorf("the external producer moving the offsets of %s: want GROUP_AUTHORIZATION_FAILED, got %v", topics.Stores.Group, err)
	}

	// Still there, and only the command was appended: the refusals changed
	// nothing (read as the superuser: the producer may not describe the log).
	ends, err := root.ListEndOffsets(ctxFor(t), topics.Stores.Events.Name, topics.Stores.Commands.Name)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	var events, commands int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Topic == topics.Stores.Events.Name {
			events += o.Offset
		} else {
			commands += o.Offset
		}
	})
	if events != 0 || commands != 1 {
		t.Errorf("after the attempts %s holds %d records and %s %d, want 0 and 1", topics.Stores.Events.Name, events, topics.Stores.Commands.Name, commands)
	}
}

func TestAProcessorWritesItsOwnEventsButNotAnothersOrItsCommandsOnlyToForward(t *testing.T) {
	stores := name(topics.GroupRole(topics.Stores.Group))
	c, _ := appliedBroker(t, stores)
	cl := as(t, c, stores)

	if err := produce(t, cl, topics.Stores.Events.Name); err != nil {
		t.Errorf("the stores group could not append to its own %s: %v", topics.Stores.Events.Name, err)
	}
	if err := produce(t, cl, topics.Stores.Table.Name); err != nil {
		t.Errorf("the stores group could not write its own %s: %v", topics.Stores.Table.Name, err)
	}
	for _, other := range []string{topics.Products.Events.Name, topics.Products.Table.Name} {
		if err := produce(t, cl, other); !errors.Is(err, kerr.TopicAuthorizationFailed) {
			t.Errorf("the stores group wrote %s: want TOPIC_AUTHORIZATION_FAILED, got %v", other, err)
		}
	}
}

// The admin principal is an ordinary user whose ACLs open everything of
// the mall: break glass works through the catalogue, not a superuser.
func TestTheAdminPrincipalMayDeleteWhatNobodyElseMay(t *testing.T) {
	adminUser := name(topics.RoleAdmin)
	c, _ := appliedBroker(t, adminUser)
	adm := kadm.NewClient(as(t, c, adminUser))
	resps, err := adm.DeleteTopics(ctxFor(t), topics.Stores.Events.Name)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Errorf("the admin could not delete %s: %v", topics.Stores.Events.Name, err)
	}
}

func TestCheckACLsFindsNoDriftAfterApplyAndReportsWhatWasAddedOrRemoved(t *testing.T) {
	checker := name(topics.RoleTopics)
	c, root := appliedBroker(t, checker)
	adm := kadm.NewClient(as(t, c, checker))

	drift, err := admin.CheckACLs(ctxFor(t), adm, topics.ACLs())
	if err != nil {
		t.Fatalf("check as %s: %v", checker, err)
	}
	if len(drift) != 0 {
		t.Fatalf("drift right after apply: %v", drift)
	}
	again, err := admin.ApplyACLs(ctxFor(t), root, topics.ACLs())
	if err != nil || len(again) != 0 {
		t.Errorf("a second apply created %d ACLs (err %v), want none", len(again), err)
	}

	// Someone lets the external producers append to the stores' log, and
	// someone else lets a stranger read every mallbots topic: both concern
	// the mall. A stranger's ACL on its own topic does not.
	ext := "User:" + name(topics.RoleExternal)
	for _, b := range []*kadm.ACLBuilder{
		kadm.NewACLs().Allow(ext).Topics(topics.Stores.Events.Name).Operations(kadm.OpWrite),
		kadm.NewACLs().Allow("User:mallory").Topics("mallbots.").ResourcePatternType(kadm.ACLPatternPrefixed).Operations(kadm.OpRead),
		kadm.NewACLs().Allow("User:mallory").Topics("mallory.scratch").Operations(kadm.OpAll),
	} {
		if _, err := root.CreateACLs(ctxFor(t), b); err != nil {
			t.Fatalf("add an ACL: %v", err)
		}
	}
	// …and the registry's right to write _schemas is removed.
	registry := "User:" + name(topics.RoleRegistry)
	del := kadm.NewACLs().Allow(registry).AllowHosts("*").Topics(topics.Schemas.Name).Operations(kadm.OpWrite)
	if _, err := root.DeleteACLs(ctxFor(t), del); err != nil {
		t.Fatalf("remove an ACL: %v", err)
	}

	drift, err = admin.CheckACLs(ctxFor(t), adm, topics.ACLs())
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var got []string
	for _, d := range drift {
		got = append(got, d.String())
	}
	want := []string{
		"acl missing: " + registry + " ALLOW WRITE on topic _schemas (run `mallbots topics apply` as the admin)",
		"acl extra: " + ext + " ALLOW WRITE on topic mallbots.stores.events (not in the catalogue: remove it, e.g. with kafka-acls --remove)",
		"acl extra: User:mallory ALLOW READ on topic mallbots.* (not in the catalogue: remove it, e.g. with kafka-acls --remove)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("drift:\n%q\nwant:\n%q", got, want)
	}
}

// A Kafka without an authorizer answers every ACL request with
// SECURITY_DISABLED (kfake stores ACLs even when it does not enforce them,
// so the answer is injected): apply and check say so instead of reporting
// every ACL as missing.
func TestABrokerWithoutAnAuthorizerIsNamedAsSuch(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	c.ControlKey(int16(kmsg.DescribeACLs), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := req.(*kmsg.DescribeACLsRequest).ResponseKind().(*kmsg.DescribeACLsResponse)
		resp.ErrorCode = kerr.SecurityDisabled.Code
		return resp, nil, true
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	if _, err := admin.ApplyACLs(ctxFor(t), adm, topics.ACLs()); !errors.Is(err, admin.ErrNoAuthorizer) || !errors.Is(err, kerr.SecurityDisabled) {
		t.Errorf("apply on a broker without an authorizer: want ErrNoAuthorizer, got %v", err)
	}
	if _, err := admin.CheckACLs(ctxFor(t), adm, topics.ACLs()); !errors.Is(err, admin.ErrNoAuthorizer) {
		t.Errorf("check on a broker without an authorizer: want ErrNoAuthorizer, got %v", err)
	}
}

// The topics principal does what `mallbots topics apply` and `check` do
// for topics, but cannot grant: creating an ACL needs ALTER on the
// cluster, the admin's.
func TestTheTopicsPrincipalCreatesAndChecksTopicsButCannotGrant(t *testing.T) {
	tool := name(topics.RoleTopics)
	c := secured(t, tool)
	root := kadm.NewClient(as(t, c, superuser))
	if _, err := admin.ApplyACLs(ctxFor(t), root, topics.ACLs()); err != nil {
		t.Fatalf("apply the ACLs: %v", err)
	}
	adm := kadm.NewClient(as(t, c, tool))
	created, err := admin.Apply(ctxFor(t), adm, topics.All())
	if err != nil || len(created) != len(topics.All()) {
		t.Fatalf("the topics principal created %d of %d topics: %v", len(created), len(topics.All()), err)
	}
	drift, err := admin.Check(ctxFor(t), adm, topics.All())
	if err != nil || len(drift) != 0 {
		t.Errorf("the topics principal's check: drift %v, err %v", drift, err)
	}
	extra := topics.ACL{Principal: "User:" + tool, Resource: topics.Resource{Type: topics.ResourceCluster, Name: topics.ClusterName, Pattern: topics.PatternLiteral}, Operation: topics.OpAlter}
	if _, err := admin.ApplyACLs(ctxFor(t), adm, []topics.ACL{extra}); !errors.Is(err, kerr.ClusterAuthorizationFailed) {
		t.Errorf("the topics principal granted itself ALTER on the cluster: want CLUSTER_AUTHORIZATION_FAILED, got %v", err)
	}
}
