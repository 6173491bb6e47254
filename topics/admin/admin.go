// Package admin applies the topic catalogue to a broker with kadm: it
// creates missing topics, reports drift, and reads where a consumer group
// stands (CommittedOffsets). It is apart from the catalogue so that the
// contract packages, which import the catalogue, do not depend on a Kafka
// client.
package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/mallbots/mallbots/topics"
)

// Configs returns the topic-level configs the catalogue sets on t.
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
	return cfg
}

// Apply creates every topic of ts that does not exist yet and returns the
// names it created. It never alters an existing topic: drift is for Check to
// report and for an operator to resolve.
func Apply(ctx context.Context, adm *kadm.Client, ts []topics.Topic) ([]string, error) {
	existing, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var created []string
	for _, t := range ts {
		if existing.Has(t.Name) {
			continue
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, -1, ptrs(Configs(t)), t.Name)
		if err == nil {
			err = resp.Err
		}
		if errors.Is(err, kerr.TopicAlreadyExists) {
			continue // another instance won the race
		}
		if err != nil {
			return created, fmt.Errorf("create topic %s: %w", t.Name, err)
		}
		created = append(created, t.Name)
	}
	return created, nil
}

// Drift is one difference between the catalogue and the broker.
type Drift struct {
	Topic string
	What  string // "missing", "partitions", or a config key
	Want  string
	Got   string
}

func (d Drift) String() string {
	if d.What == "missing" {
		return fmt.Sprintf("%s: missing (run `mallbots topics apply`)", d.Topic)
	}
	return fmt.Sprintf("%s: %s is %s, the catalogue says %s", d.Topic, d.What, d.Got, d.Want)
}

// Check compares every topic of ts with the broker and lists the drift:
// missing topics, partition counts and the configs the catalogue sets
// (cleanup.policy, retention). An event topic with finite retention is drift.
func Check(ctx context.Context, adm *kadm.Client, ts []topics.Topic) ([]Drift, error) {
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
	}
	return drift, nil
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
