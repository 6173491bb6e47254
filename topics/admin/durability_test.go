package admin_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// Replication on a cluster: a kfake of three brokers, which keeps each
// topic's replica count and reports it in its metadata as Kafka does.

// cluster starts a kfake cluster of n brokers on 127.0.0.1 and returns an
// admin client for it and its addresses.
func cluster(t *testing.T, n int) (*kadm.Client, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(n))
	if err != nil {
		t.Fatalf("start a kfake cluster of %d brokers: %v", n, err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), c.ListenAddrs()
}

// replicasOf is the replica count of every partition of a topic.
func replicasOf(t *testing.T, adm *kadm.Client, name string) []int {
	t.Helper()
	details, err := adm.ListTopics(ctxFor(t), name)
	if err != nil {
		t.Fatalf("list %s: %v", name, err)
	}
	var out []int
	for _, p := range details[name].Partitions.Sorted() {
		out = append(out, len(p.Replicas))
	}
	return out
}

func TestApplyReplicatesEveryTopicThreeTimesWithMinISRTwoOnThreeBrokers(t *testing.T) {
	adm, _ := cluster(t, 3)

	apply(t, adm, topics.All())

	for _, tp := range topics.All() {
		for p, n := range replicasOf(t, adm, tp.Name) {
			if n != 3 {
				t.Errorf("%s/%d has %d replicas, want 3 on a cluster of three", tp.Name, p, n)
			}
		}
		got := describe(t, adm, tp.Name)
		if v := got.configs[admin.MinInsyncReplicas]; v != "2" {
			t.Errorf("%s (%s): min.insync.replicas is %q, want 2", tp.Name, tp.Class, v)
		}
		wantUnclean := ""
		if tp.Class == topics.ClassEventLog || tp.Class == topics.ClassDeadLetters {
			wantUnclean = "false"
		}
		if v := got.configs[admin.UncleanLeaderElection]; v != wantUnclean {
			t.Errorf("%s (%s): unclean.leader.election.enable is %q, want %q", tp.Name, tp.Class, v, wantUnclean)
		}
	}
	if drift, err := admin.Check(ctxFor(t), adm, topics.All()); err != nil || len(drift) != 0 {
		t.Fatalf("Check after Apply on three brokers: %v, %v; want no drift", drift, err)
	}
}

// Every event log pins unclean leader election off whatever the cluster,
// the embedded single broker included.
func TestEveryEventLogForbidsUncleanLeaderElection(t *testing.T) {
	for _, a := range topics.Aggregates() {
		if got := admin.Configs(a.Events)[admin.UncleanLeaderElection]; got != "false" {
			t.Errorf("%s: unclean.leader.election.enable is %q in its configs, want false", a.Events.Name, got)
		}
	}
	if got := admin.Configs(topics.NotificationsSent)[admin.UncleanLeaderElection]; got != "false" {
		t.Errorf("%s: unclean.leader.election.enable is %q, want false", topics.NotificationsSent.Name, got)
	}
}

func TestApplyReplicatesAsTheFlagsSayOverTheClusterDefault(t *testing.T) {
	adm, _ := cluster(t, 3)

	if _, err := admin.Apply(ctxFor(t), adm, topics.All(), admin.WithReplication(2, 1)); err != nil {
		t.Fatalf("Apply with replication 2 and min ISR 1: %v", err)
	}

	for _, tp := range []topics.Topic{topics.Orders.Events, topics.Orders.Table, topics.Results, topics.DeadLetter} {
		if got := replicasOf(t, adm, tp.Name); slices.ContainsFunc(got, func(n int) bool { return n != 2 }) {
			t.Errorf("%s: replicas per partition %v, want 2 each", tp.Name, got)
		}
		if v := describe(t, adm, tp.Name).configs[admin.MinInsyncReplicas]; v != "1" {
			t.Errorf("%s: min.insync.replicas is %q, want 1", tp.Name, v)
		}
	}
}

func TestCheckReportsATopicReplicatedBelowItsClass(t *testing.T) {
	adm, _ := cluster(t, 3)
	events := topics.Stores.Events
	// Made by hand as a broker's defaults would: one replica, min ISR 1.
	ptrs := map[string]*string{}
	for k, v := range admin.Configs(events) {
		ptrs[k] = &v
	}
	resp, err := adm.CreateTopic(ctxFor(t), events.Partitions, 1, ptrs, events.Name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create %s with one replica: %v", events.Name, err)
	}
	apply(t, adm, without(topics.All(), events.Name))

	drift := check(t, adm)

	want := []admin.Drift{
		{Topic: events.Name, What: admin.ReplicationFactor, Want: "3", Got: "1", AtLeast: true},
		{Topic: events.Name, What: admin.MinInsyncReplicas, Want: "2", Got: "1", AtLeast: true},
	}
	if !slices.Equal(drift, want) {
		t.Fatalf("Check reports %v, want exactly %v", drift, want)
	}
	for i, says := range []string{
		"mallbots.stores.events: replication factor is 1, the catalogue says at least 3",
		"mallbots.stores.events: min.insync.replicas is 1, the catalogue says at least 2",
	} {
		if !strings.HasPrefix(drift[i].String(), says) {
			t.Errorf("Drift.String() = %q, want it to start %q", drift[i].String(), says)
		}
	}
}

// A min ISR lowered on a live topic is drift too.
func TestCheckReportsMinISRLoweredOnALiveTopic(t *testing.T) {
	adm, _ := cluster(t, 3)
	apply(t, adm, topics.All())
	one := "1"
	resps, err := adm.AlterTopicConfigs(ctxFor(t),
		[]kadm.AlterConfig{{Op: kadm.SetConfig, Name: admin.MinInsyncReplicas, Value: &one}}, topics.Orders.Table.Name)
	if err == nil {
		var r kadm.AlterConfigsResponse
		if r, err = resps.On(topics.Orders.Table.Name, nil); err == nil {
			err = r.Err
		}
	}
	if err != nil {
		t.Fatalf("alter min.insync.replicas: %v", err)
	}

	drift := check(t, adm)

	want := []admin.Drift{{Topic: topics.Orders.Table.Name, What: admin.MinInsyncReplicas, Want: "2", Got: "1", AtLeast: true}}
	if !slices.Equal(drift, want) {
		t.Fatalf("Check reports %v, want %v", drift, want)
	}
}

// More replication than the catalogue asks is an operator's choice, not
// drift.
func TestCheckAcceptsMoreReplicationThanTheCatalogue(t *testing.T) {
	adm, _ := cluster(t, 3)
	apply(t, adm, topics.All()) // 3 and 2

	drift, err := admin.Check(ctxFor(t), adm, topics.All(), admin.WithReplication(2, 1))
	if err != nil || len(drift) != 0 {
		t.Fatalf("Check wanting 2 and 1 of topics at 3 and 2: %v, %v; want no drift", drift, err)
	}
}

func TestApplyRefusesMoreReplicasThanBrokersAndCreatesNothing(t *testing.T) {
	adm, _ := broker(t)

	created, err := admin.Apply(ctxFor(t), adm, topics.All(), admin.WithReplication(3, 2))

	if err == nil || !strings.Contains(err.Error(), "replication factor 3 on a cluster of 1 brokers") {
		t.Fatalf("Apply of factor 3 on one broker: %v; want an error naming the factor and the broker count", err)
	}
	if len(created) != 0 {
		t.Fatalf("Apply created %v before refusing", created)
	}
	if ts, err := adm.ListTopics(ctxFor(t)); err != nil || len(ts) != 0 {
		t.Fatalf("the broker holds %v (err %v), want no topic", ts.Names(), err)
	}
}

// On one broker the default is one copy: what the embedded broker gets.
func TestApplyOnOneBrokerReplicatesOnceWithMinISROne(t *testing.T) {
	adm, _ := broker(t)

	apply(t, adm, topics.All())

	for _, tp := range []topics.Topic{topics.Orders.Events, topics.Results} {
		if got := replicasOf(t, adm, tp.Name); slices.ContainsFunc(got, func(n int) bool { return n != 1 }) {
			t.Errorf("%s: replicas per partition %v, want 1 each", tp.Name, got)
		}
		if v := describe(t, adm, tp.Name).configs[admin.MinInsyncReplicas]; v != "1" {
			t.Errorf("%s: min.insync.replicas is %q, want 1", tp.Name, v)
		}
	}
}
