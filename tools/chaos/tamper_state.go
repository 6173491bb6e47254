package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// logState is what the attackers of the tamper scenario must not change,
// read as the admin (who may read every target): where each target
// partition starts and ends, each target topic's configs, and every
// processor group's committed offsets.
type logState struct {
	starts, ends map[string]map[int32]int64
	configs      map[string]string // "topic key" → value
	committed    map[string]kadm.Offset
}

func readLogState(ctx context.Context, adm *kadm.Client, t tamperTargets) (logState, error) {
	s := logState{configs: map[string]string{}, committed: map[string]kadm.Offset{}}
	starts, err := adm.ListStartOffsets(ctx, t.topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return s, fmt.Errorf("list where the targets start: %w", err)
	}
	// The committed offsets before the end offsets: under load both move,
	// and a commit is never past the end it was made at, so read in this
	// order a committed offset past its end is an attacker's, not a race.
	for _, f := range t.groups {
		offs, err := adm.FetchOffsets(ctx, f.Group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			continue // a group that never committed
		}
		if err != nil {
			return s, fmt.Errorf("fetch the offsets of %s: %w", f.Group, err)
		}
		offs.Each(func(o kadm.OffsetResponse) {
			s.committed[fmt.Sprintf("%s %s/%d", f.Group, o.Topic, o.Partition)] = o.Offset
		})
	}
	ends, err := adm.ListEndOffsets(ctx, t.topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return s, fmt.Errorf("list where the targets end: %w", err)
	}
	s.starts, s.ends = listed(starts), listed(ends)
	cfgs, err := adm.DescribeTopicConfigs(ctx, t.topics...)
	if err != nil {
		return s, fmt.Errorf("describe the targets' configs: %w", err)
	}
	for _, rc := range cfgs {
		if rc.Err != nil {
			return s, fmt.Errorf("describe the configs of %s: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			s.configs[rc.Name+" "+c.Key] = c.MaybeValue()
		}
	}
	return s, nil
}

func listed(l kadm.ListedOffsets) map[string]map[int32]int64 {
	out := map[string]map[int32]int64{}
	l.Each(func(o kadm.ListedOffset) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	return out
}

// unchanged compares the state before the attacks with the state after
// them. Under load the processors go on appending and committing, so end
// offsets and committed offsets move by themselves: what must hold is that
// none of the records appended meanwhile is an attacker's (marked), that no
// committed offset went back, past its partition's end or to the
// attackers' offset, and that where every partition starts and every
// config are exactly as they were. It returns the problems and what it
// compared.
func unchanged(ctx context.Context, admin []kgo.Opt, before, after logState) (problems []string, figures string, err error) {
	var partitions, appended int64
	for topic, ps := range before.starts {
		for p, start := range ps {
			partitions++
			if a := after.starts[topic][p]; a != start {
				problems = append(problems, fmt.Sprintf("%s/%d now starts at %d, before the attacks at %d", topic, p, a, start))
			}
			if a, b := after.ends[topic][p], before.ends[topic][p]; a < b {
				problems = append(problems, fmt.Sprintf("%s/%d now ends at %d, before the attacks at %d", topic, p, a, b))
			} else {
				appended += a - b
			}
		}
	}
	for k, v := range before.configs {
		if a, ok := after.configs[k]; !ok || a != v {
			problems = append(problems, fmt.Sprintf("config %s was %q, now %q", k, v, a))
		}
	}
	for k := range after.configs {
		if _, ok := before.configs[k]; !ok {
			problems = append(problems, fmt.Sprintf("config %s appeared: %q", k, after.configs[k]))
		}
	}
	for k, o := range after.committed {
		b, had := before.committed[k]
		topic, p := o.Topic, o.Partition
		switch {
		case had && o.At < b.At:
			problems = append(problems, fmt.Sprintf("committed offset %s went back from %d to %d", k, b.At, o.At))
		case o.At >= tamperCommitOffset || strings.HasPrefix(o.Metadata, tamperMarker):
			problems = append(problems, fmt.Sprintf("committed offset %s is the attackers' (%d %q)", k, o.At, o.Metadata))
		case o.At > after.ends[topic][p] && after.ends[topic] != nil:
			problems = append(problems, fmt.Sprintf("committed offset %s is %d, past the partition's end %d", k, o.At, after.ends[topic][p]))
		}
	}
	found, err := markedRecords(ctx, admin, before.ends, after.ends)
	if err != nil {
		return problems, "", err
	}
	problems = append(problems, found...)
	figures = fmt.Sprintf("unchanged by the attacks: where %d target partitions start, %d configs, %d committed offsets of %d processor groups (none went back or past its end); none of the %d records the processors appended meanwhile is an attacker's",
		partitions, len(before.configs), len(before.committed), countGroups(before.committed), appended)
	return problems, figures, nil
}

func countGroups(committed map[string]kadm.Offset) int {
	var groups []string
	for k := range committed {
		g, _, _ := strings.Cut(k, " ")
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return len(groups)
}

// markedRecords reads every target partition from its end before the
// attacks to its end after them and reports each record an attacker
// marked.
func markedRecords(ctx context.Context, admin []kgo.Opt, from, to map[string]map[int32]int64) ([]string, error) {
	want := map[string]map[int32]kgo.Offset{}
	left := map[string]map[int32]int64{}
	n := 0
	for topic, ps := range to {
		for p, end := range ps {
			if start := from[topic][p]; end > start {
				if want[topic] == nil {
					want[topic], left[topic] = map[int32]kgo.Offset{}, map[int32]int64{}
				}
				want[topic][p] = kgo.NewOffset().At(start)
				left[topic][p] = end
				n++
			}
		}
	}
	if n == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(append(slices.Clone(admin), kgo.ConsumePartitions(want), kgo.FetchMaxBytes(16<<20))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out []string
	for n > 0 {
		fetches := cl.PollFetches(rctx)
		if err := rctx.Err(); err != nil {
			return out, fmt.Errorf("read what was appended during the attacks: %w", err)
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			end, ok := left[rec.Topic][rec.Partition]
			if !ok || rec.Offset >= end {
				return
			}
			if bytes.HasPrefix(rec.Key, []byte(tamperMarker)) {
				out = append(out, fmt.Sprintf("an attacker's record is in %s/%d@%d", rec.Topic, rec.Partition, rec.Offset))
			}
			if rec.Offset == end-1 {
				delete(left[rec.Topic], rec.Partition)
				n--
			}
		})
	}
	return out, nil
}
