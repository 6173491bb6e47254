// Package admin applies the topic catalogue to a broker with kadm: it
// creates missing topics, reports drift, and reads where a consumer group
// stands (CommittedOffsets). It is apart from the catalogue so that the
// contract packages, which import the catalogue, do not depend on a Kafka
// client.
package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
)

// Configs returns the topic-level configs the catalogue sets on t,
// whatever the cluster: cleanup and retention, and for the classes kept
// forever (the event log, the dead letters)
// unclean.leader.election.enable=false, so that a replica that missed
// acknowledged records never becomes leader (Kafka's default, pinned on the
// topic so that a broker configured otherwise cannot lose the log).
// min.insync.replicas depends on the cluster: ConfigsFor.
func Configs(t topics.Topic) map[string]string {
	cfg := map[string]string{"cleanup.policy": string(t.Cleanup)}
	if t.Cleanup == topics.Delete {
		ms := int64(-1)
		if t.Retention != topics.Forever {
			ms = t.Retention.Milliseconds()
		}
		cfg["retention.ms"] = strconv.FormatInt(ms, 10)
		if t.Retention == topics.Forever {
			cfg["retention.bytes"] = "-1"
		}
	}
	if t.Class == topics.ClassEventLog || t.Class == topics.ClassDeadLetters {
		cfg[UncleanLeaderElection] = "false"
	}
	return cfg
}

// The topic configs of replication.
const (
	UncleanLeaderElection = "unclean.leader.election.enable"
	MinInsyncReplicas     = "min.insync.replicas"
)

// ConfigsFor is what Apply creates t with on a cluster of durability d:
// Configs and the class's min.insync.replicas.
func ConfigsFor(t topics.Topic, d topics.Durability) map[string]string {
	cfg := Configs(t)
	cfg[MinInsyncReplicas] = strconv.Itoa(d.Of(t).MinInsync)
	return cfg
}

// Option configures Apply and Check.
type Option func(*config)

type config struct {
	durability *topics.Durability
	factor     int16
	minInsync  int
}

// WithReplication replicates every class factor times with
// min.insync.replicas minInsync, each 0 for the default of the cluster's
// size (topics.ForCluster): the flags --replication-factor and
// --min-insync-replicas. WithDurability wins over it.
func WithReplication(factor int16, minInsync int) Option {
	return func(c *config) { c.factor, c.minInsync = factor, minInsync }
}

// WithDurability replicates (Apply) or expects (Check) the topics as d
// says. Default: topics.ForCluster for the number of brokers the cluster
// reports, with its default factor and min ISR (3 and 2 on three brokers or
// more, 1 and 1 on one).
func WithDurability(d topics.Durability) Option {
	return func(c *config) { c.durability = &d }
}

// Durability is the durability opts say, or the default for the cluster
// adm reaches; it fails if the cluster cannot hold it (a factor above its
// broker count).
func Durability(ctx context.Context, adm *kadm.Client, opts ...Option) (topics.Durability, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return topics.Durability{}, fmt.Errorf("list the cluster's brokers: %w", err)
	}
	brokers := len(meta.Brokers)
	d := topics.ForCluster(brokers, c.factor, c.minInsync)
	if c.durability != nil {
		d = *c.durability
	}
	if err := d.Validate(brokers); err != nil {
		return d, fmt.Errorf("the topics' durability: %w", err)
	}
	return d, nil
}

// Apply creates every topic of ts that does not exist yet, replicated as
// its class says (WithDurability), and returns the names it created. It
// never alters an existing topic: drift is for Check to report and for an
// operator to resolve.
func Apply(ctx context.Context, adm *kadm.Client, ts []topics.Topic, opts ...Option) ([]string, error) {
	d, err := Durability(ctx, adm, opts...)
	if err != nil {
		return nil, err
	}
	existing, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var created []string
	for _, t := range ts {
		if existing.Has(t.Name) {
			continue
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, d.Of(t).Factor, ptrs(ConfigsFor(t, d)), t.Name)
		if err == nil {
			err = resp.Err
		}
		if errors.Is(err, kerr.TopicAlreadyExists) {
			continue // another instance won the race
		}
		if err != nil {
			return created, fmt.Errorf("create topic %s (%s): %w", t.Name, d.Of(t), err)
		}
		created = append(created, t.Name)
	}
	return created, nil
}

// Drift is one difference between the catalogue and the broker.
type Drift struct {
	Topic string
	What  string // "missing", "partitions", ReplicationFactor, or a config key
	Want  string
	Got   string
	// AtLeast: Want is a floor (replication), not an exact value; Got is
	// below it.
	AtLeast bool
}

// ReplicationFactor is the Drift.What of a topic with fewer replicas than
// its class wants.
const ReplicationFactor = "replication factor"

func (d Drift) String() string {
	switch {
	case d.What == "missing":
		return fmt.Sprintf("%s: missing (run `mallbots topics apply`)", d.Topic)
	case d.AtLeast:
		return fmt.Sprintf("%s: %s is %s, the catalogue says at least %s (reassign its partitions or raise it: docs/operations.md, Durability)", d.Topic, d.What, d.Got, d.Want)
	}
	return fmt.Sprintf("%s: %s is %s, the catalogue says %s", d.Topic, d.What, d.Got, d.Want)
}

// Check compares every topic of ts with the broker and lists the drift:
// missing topics, partition counts, the configs the catalogue sets
// (cleanup.policy, retention, unclean leader election), and replication
// below what the topic's class wants (WithDurability): a partition with
// fewer replicas than the factor, a min.insync.replicas below the class's.
// More is not drift: an operator may replicate more than the catalogue. An
// event topic with finite retention is drift.
func Check(ctx context.Context, adm *kadm.Client, ts []topics.Topic, opts ...Option) ([]Drift, error) {
	dur, err := Durability(ctx, adm, opts...)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var present []string
	var drift []Drift
	for _, t := range ts {
		d, ok := details[t.Name]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			drift = append(drift, Drift{Topic: t.Name, What: "missing"})
			continue
		}
		if d.Err != nil {
			return nil, fmt.Errorf("describe topic %s: %w", t.Name, d.Err)
		}
		present = append(present, t.Name)
		if got := int32(len(d.Partitions)); got != t.Partitions {
			drift = append(drift, Drift{Topic: t.Name, What: "partitions",
				Want: strconv.Itoa(int(t.Partitions)), Got: strconv.Itoa(int(got))})
		}
		if got, want := replicas(d), int(dur.Of(t).Factor); got < want {
			drift = append(drift, Drift{Topic: t.Name, What: ReplicationFactor,
				Want: strconv.Itoa(want), Got: strconv.Itoa(got), AtLeast: true})
		}
	}
	if len(present) == 0 {
		return drift, nil
	}
	configs, err := adm.DescribeTopicConfigs(ctx, present...)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", err)
	}
	for _, t := range ts {
		rc, err := configs.On(t.Name, nil)
		if err != nil {
			continue // missing: already reported
		}
		if rc.Err != nil {
			return nil, fmt.Errorf("describe configs of %s: %w", t.Name, rc.Err)
		}
		got := map[string]string{}
		for _, c := range rc.Configs {
			if c.Value != nil {
				got[c.Key] = *c.Value
			}
		}
		drift = append(drift, configDrift(t, got, dur)...)
	}
	return drift, nil
}

// configDrift compares the configs the broker describes for t with the
// catalogue's: exact for Configs, a floor for min.insync.replicas.
func configDrift(t topics.Topic, got map[string]string, dur topics.Durability) []Drift {
	var drift []Drift
	want := Configs(t)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		want := want[key]
		if g, ok := got[key]; !ok || g != want {
			if !ok {
				g = "(unset)"
			}
			drift = append(drift, Drift{Topic: t.Name, What: key, Want: want, Got: g})
		}
	}
	minISR := dur.Of(t).MinInsync
	if g, err := strconv.Atoi(got[MinInsyncReplicas]); err != nil || g < minISR {
		drift = append(drift, Drift{Topic: t.Name, What: MinInsyncReplicas,
			Want: strconv.Itoa(minISR), Got: cmp.Or(got[MinInsyncReplicas], "(unset)"), AtLeast: true})
	}
	return drift
}

// replicas is a topic's replication factor as its partitions have it: the
// fewest replicas of any partition (one being reassigned may have more).
func replicas(d kadm.TopicDetail) int {
	n := -1
	for _, p := range d.Partitions {
		if n < 0 || len(p.Replicas) < n {
			n = len(p.Replicas)
		}
	}
	return max(n, 0)
}

func ptrs(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = &v
	}
	return out
}

// CommittedOffsets returns a group's committed offsets on a topic by
// partition: the next offset the group will consume. A group that never
// committed, or never committed on a partition, has no entry for it.
func CommittedOffsets(ctx context.Context, adm *kadm.Client, group, topic string) (map[int32]int64, error) {
	offs, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}, nil // never committed
	}
	if err != nil {
		return nil, fmt.Errorf("fetch the committed offsets of %s: %w", group, err)
	}
	out := map[int32]int64{}
	for p, o := range offs[topic] {
		if o.Err != nil {
			return nil, fmt.Errorf("fetch the committed offset of %s on %s/%d: %w", group, topic, p, o.Err)
		}
		out[p] = o.At
	}
	return out, nil
}

// Run runs fn with an admin client on a new Kafka client made from opts,
// and closes that client when fn returns.
func Run(opts []kgo.Opt, fn func(adm *kadm.Client) error) error {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	return fn(kadm.NewClient(cl))
}
