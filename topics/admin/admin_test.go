package admin_test

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// These tests run Apply and Check against an in-process Kafka-protocol
// broker (kfake), as `mallbots topics apply|check` do against a real one.

// broker starts a one-broker kfake cluster on 127.0.0.1 and returns an admin
// client for it and its address.
func broker(t *testing.T) (*kadm.Client, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), c.ListenAddrs()[0]
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// onBroker is what the broker says about one topic.
type onBroker struct {
	partitions int
	configs    map[string]string
}

func describe(t *testing.T, adm *kadm.Client, name string) onBroker {
	t.Helper()
	ctx := ctxFor(t)
	details, err := adm.ListTopics(ctx, name)
	if err != nil {
		t.Fatalf("list %s: %v", name, err)
	}
	d, ok := details[name]
	if !ok || d.Err != nil {
		t.Fatalf("topic %s is not on the broker (err %v)", name, d.Err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, name)
	if err != nil {
		t.Fatalf("describe configs of %s: %v", name, err)
	}
	rc, err := rcs.On(name, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		t.Fatalf("describe configs of %s: %v", name, err)
	}
	got := onBroker{partitions: len(d.Partitions), configs: map[string]string{}}
	for _, c := range rc.Configs {
		if c.Value != nil {
			got.configs[c.Key] = *c.Value
		}
	}
	return got
}

// create makes a topic by hand, as an operator or another tool might have.
func create(t *testing.T, adm *kadm.Client, name string, partitions int32, configs map[string]string) {
	t.Helper()
	ptrs := map[string]*string{}
	for k, v := range configs {
		ptrs[k] = &v
	}
	resp, err := adm.CreateTopic(ctxFor(t), partitions, -1, ptrs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func apply(t *testing.T, adm *kadm.Client, ts []topics.Topic) []string {
	t.Helper()
	created, err := admin.Apply(ctxFor(t), adm, ts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return created
}

func check(t *testing.T, adm *kadm.Client) []admin.Drift {
	t.Helper()
	drift, err := admin.Check(ctxFor(t), adm, topics.All())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return drift
}

func names(ts []topics.Topic) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func without(ts []topics.Topic, name string) []topics.Topic {
	return slices.DeleteFunc(slices.Clone(ts), func(t topics.Topic) bool { return t.Name == name })
}

func TestApplyCreatesEveryTopicOfTheCatalogueWithItsSettings(t *testing.T) {
	adm, _ := broker(t)

	created := apply(t, adm, topics.All())

	if want := names(topics.All()); !slices.Equal(created, want) {
		t.Fatalf("Apply created %v, want every topic of the catalogue %v", created, want)
	}
	for _, tp := range topics.All() {
		got := describe(t, adm, tp.Name)
		if got.partitions != int(tp.Partitions) {
			t.Errorf("%s has %d partitions, the catalogue says %d", tp.Name, got.partitions, tp.Partitions)
		}
		for k, want := range admin.Configs(tp) {
			if got.configs[k] != want {
				t.Errorf("%s: %s is %q, the catalogue says %q", tp.Name, k, got.configs[k], want)
			}
		}
	}
}

// The promises of docs/architecture.md (Topics), read back from the broker
// rather than from Topic.Configs: an event log never loses an event, a
// state table keeps the latest state per key, and an aggregate's topics are
// co-partitioned.
func TestApplyGivesEventLogsInfiniteRetentionAndTablesCompaction(t *testing.T) {
	adm, _ := broker(t)
	apply(t, adm, topics.All())

	for _, a := range topics.Aggregates() {
		events := describe(t, adm, a.Events.Name)
		for k, want := range map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"} {
			if got := events.configs[k]; got != want {
				t.Errorf("event log %s: %s is %q, want %q", a.Events.Name, k, got, want)
			}
		}
		table := describe(t, adm, a.Table.Name)
		if got := table.configs["cleanup.policy"]; got != "compact" {
			t.Errorf("state table %s: cleanup.policy is %q, want compact", a.Table.Name, got)
		}
		commands := describe(t, adm, a.Commands.Name)
		if commands.partitions != events.partitions || commands.partitions != table.partitions {
			t.Errorf("%s topics are not co-partitioned: commands %d, events %d, table %d",
				a.Type, commands.partitions, events.partitions, table.partitions)
		}
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	adm, _ := broker(t)
	apply(t, adm, topics.All())

	if again := apply(t, adm, topics.All()); len(again) != 0 {
		t.Fatalf("a second Apply created %v, want nothing", again)
	}
	if drift := check(t, adm); len(drift) != 0 {
		t.Fatalf("Check after two Applies reports %v, want nothing", drift)
	}
}

// Apply creates what is missing around a topic that differs, and leaves that
// topic exactly as it was: changing partitions or retention of a live topic
// is an operator's decision, which Check reports.
func TestApplyNeverAltersAnExistingTopic(t *testing.T) {
	adm, _ := broker(t)
	events := topics.Stores.Events.Name
	create(t, adm, events, 3, map[string]string{"retention.ms": "3600000"})

	created := apply(t, adm, topics.All())

	if want := names(without(topics.All(), events)); !slices.Equal(created, want) {
		t.Fatalf("Apply created %v, want %v (everything but the existing %s)", created, want, events)
	}
	got := describe(t, adm, events)
	if got.partitions != 3 || got.configs["retention.ms"] != "3600000" {
		t.Fatalf("Apply altered %s: now %d partitions, retention.ms %s; want 3 and 3600000 as created",
			events, got.partitions, got.configs["retention.ms"])
	}
}

func TestCheckReportsNothingOnAFreshApply(t *testing.T) {
	adm, _ := broker(t)
	apply(t, adm, topics.All())

	if drift := check(t, adm); len(drift) != 0 {
		t.Fatalf("Check on a freshly applied catalogue reports %v, want nothing", drift)
	}
}

func TestCheckReportsDrift(t *testing.T) {
	for _, tc := range []struct {
		name string
		// topic is made by hand, with partitions (the catalogue's where 0)
		// and configs, or left out where missing; Apply then creates
		// everything else.
		topic      topics.Topic
		missing    bool
		partitions int32
		configs    map[string]string
		want       admin.Drift
		// says is what Drift.String must tell the operator.
		says string
	}{
		{
			name: "a missing topic", topic: topics.Products.Events, missing: true,
			want: admin.Drift{Topic: topics.Products.Events.Name, What: "missing"},
			says: "mallbots.products.events: missing (run `mallbots topics apply`)",
		},
		{
			name: "a topic created with the wrong partition count", topic: topics.Stores.Commands,
			partitions: 2, configs: admin.Configs(topics.Stores.Commands),
			want: admin.Drift{Topic: topics.Stores.Commands.Name, What: "partitions", Want: "8", Got: "2"},
			says: "mallbots.stores.commands: partitions is 2, the catalogue says 8",
		},
		{
			name: "an event topic with finite retention.ms", topic: topics.Stores.Events,
			configs: map[string]string{"cleanup.policy": "delete", "retention.ms": "604800000", "retention.bytes": "-1", admin.UncleanLeaderElection: "false"},
			want:    admin.Drift{Topic: topics.Stores.Events.Name, What: "retention.ms", Want: "-1", Got: "604800000"},
			says:    "mallbots.stores.events: retention.ms is 604800000, the catalogue says -1",
		},
		{
			name: "an event topic with finite retention.bytes", topic: topics.Products.Events,
			configs: map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "1073741824", admin.UncleanLeaderElection: "false"},
			want:    admin.Drift{Topic: topics.Products.Events.Name, What: "retention.bytes", Want: "-1", Got: "1073741824"},
			says:    "mallbots.products.events: retention.bytes is 1073741824, the catalogue says -1",
		},
		{
			name: "a state table with cleanup.policy=delete", topic: topics.Products.Table,
			configs: map[string]string{"cleanup.policy": "delete"},
			want:    admin.Drift{Topic: topics.Products.Table.Name, What: "cleanup.policy", Want: "compact", Got: "delete"},
			says:    "mallbots.products-table: cleanup.policy is delete, the catalogue says compact",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adm, _ := broker(t)
			skip := ""
			if tc.missing {
				skip = tc.topic.Name
			} else {
				partitions := cmp.Or(tc.partitions, tc.topic.Partitions)
				create(t, adm, tc.topic.Name, partitions, tc.configs)
			}
			apply(t, adm, without(topics.All(), skip))

			drift := check(t, adm)

			if len(drift) != 1 || drift[0] != tc.want {
				t.Fatalf("Check reports %#v, want exactly %#v", drift, tc.want)
			}
			if got := drift[0].String(); got != tc.says {
				t.Errorf("Drift.String() = %q, want %q", got, tc.says)
			}
		})
	}
}

// Drift that appears after the topics were created (someone shortens the
// event log's retention) is reported too, next to the other differences.
func TestCheckReportsRetentionShortenedOnALiveEventLog(t *testing.T) {
	adm, _ := broker(t)
	apply(t, adm, topics.All())
	week := strconv.FormatInt((7 * 24 * time.Hour).Milliseconds(), 10)
	resps, err := adm.AlterTopicConfigs(ctxFor(t),
		[]kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &week}}, topics.Stores.Events.Name)
	if err == nil {
		var r kadm.AlterConfigsResponse
		if r, err = resps.On(topics.Stores.Events.Name, nil); err == nil {
			err = r.Err
		}
	}
	if err != nil {
		t.Fatalf("alter retention: %v", err)
	}

	drift := check(t, adm)

	want := []admin.Drift{{Topic: topics.Stores.Events.Name, What: "retention.ms", Want: "-1", Got: week}}
	if !slices.Equal(drift, want) {
		t.Fatalf("Check reports %v, want %v", drift, want)
	}
	if s := drift[0].String(); !strings.Contains(s, "retention.ms is "+week) {
		t.Errorf("Drift.String() = %q, want it to name the retention found", s)
	}
}

func TestCheckReportsEveryTopicMissingOnAnEmptyBroker(t *testing.T) {
	adm, _ := broker(t)

	drift := check(t, adm)

	var want []admin.Drift
	for _, tp := range topics.All() {
		want = append(want, admin.Drift{Topic: tp.Name, What: "missing"})
	}
	if !slices.Equal(drift, want) {
		t.Fatalf("Check on an empty broker reports %v, want %v", drift, want)
	}
}

func TestCommittedOffsetsAreThoseTheGroupCommittedOnTheTopic(t *testing.T) {
	adm, _ := broker(t)
	ctx := ctxFor(t)
	create(t, adm, "orders", 3, nil)
	create(t, adm, "other", 1, nil)
	if got, err := admin.CommittedOffsets(ctx, adm, "g", "orders"); err != nil || len(got) != 0 {
		t.Fatalf("a group that never committed: %v, %v; want none", got, err)
	}
	var offs kadm.Offsets
	offs.AddOffset("orders", 0, 7, -1)
	offs.AddOffset("orders", 2, 3, -1)
	offs.AddOffset("other", 0, 9, -1)
	if err := adm.CommitAllOffsets(ctx, "g", offs); err != nil {
		t.Fatal(err)
	}
	got, err := admin.CommittedOffsets(ctx, adm, "g", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int32]int64{0: 7, 2: 3}; !maps.Equal(got, want) {
		t.Fatalf("committed %v, want %v", got, want)
	}
}
