package warehouse

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicLag is how far a consumer group is behind on one topic.
type TopicLag struct {
	Topic string
	// Events are the records beyond the group's committed offsets (beyond
	// the log start where it has committed nothing).
	Events int64
	// Seconds is the age of the oldest of those records, by its
	// timestamp; 0 when there are none.
	Seconds float64
}

// TableLag is how far a table is behind the topics that feed it.
type TableLag struct {
	Table  string
	Topics []string
	// Events and Seconds add up the topics' lags: the sum of their events,
	// the largest of their ages.
	Events  int64
	Seconds float64
}

// MeasureLag asks Kafka how far group is behind on each of topics: the
// records it has not committed and, by reading the first of them on every
// partition that has any, how old the oldest is. Unlike Projector.Lag it
// needs no running projector: it answers for any instance of the group, or
// for none. It reads at most one record per lagging partition, waiting at
// most wait for them (a record it could not read in time counts as just
// appended).
func MeasureLag(ctx context.Context, kafka []kgo.Opt, group string, topics []string, wait time.Duration) ([]TopicLag, error) {
	cl, err := kgo.NewClient(kafka...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: measure lag of %s: %w", group, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, positions, err := groupPositions(ctx, adm, group, topics)
	if err != nil {
		return nil, fmt.Errorf("warehouse: measure lag of %s: %w", group, err)
	}
	byTopic := map[string]*TopicLag{}
	for _, t := range topics {
		byTopic[t] = &TopicLag{Topic: t}
	}
	oldest := map[string]map[int32]kgo.Offset{} // the first record not committed
	ends.Each(func(end kadm.ListedOffset) {
		pos := positions(end.Topic, end.Partition)
		if n := end.Offset - pos; n > 0 {
			byTopic[end.Topic].Events += n
			if oldest[end.Topic] == nil {
				oldest[end.Topic] = map[int32]kgo.Offset{}
			}
			oldest[end.Topic][end.Partition] = kgo.NewOffset().At(pos)
		}
	})
	if len(oldest) > 0 {
		if err := readAges(ctx, kafka, oldest, byTopic, wait); err != nil {
			return nil, fmt.Errorf("warehouse: measure lag of %s: %w", group, err)
		}
	}
	out := make([]TopicLag, 0, len(topics))
	for _, t := range topics {
		out = append(out, *byTopic[t])
	}
	return out, nil
}

// readAges reads the record at each given offset and keeps, per topic, the
// age of the oldest.
func readAges(ctx context.Context, kafka []kgo.Opt, at map[string]map[int32]kgo.Offset, byTopic map[string]*TopicLag, wait time.Duration) error {
	cl, err := kgo.NewClient(append(slices.Clone(kafka), kgo.ConsumePartitions(at))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	left := 0
	for _, ps := range at {
		left += len(ps)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	seen := map[string]map[int32]bool{}
	now := time.Now()
	for left > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil // what could be read in time is enough
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if seen[r.Topic][r.Partition] {
				return
			}
			if seen[r.Topic] == nil {
				seen[r.Topic] = map[int32]bool{}
			}
			seen[r.Topic][r.Partition] = true
			left--
			if age := now.Sub(r.Timestamp).Seconds(); age > byTopic[r.Topic].Seconds {
				byTopic[r.Topic].Seconds = age
			}
		})
	}
	return nil
}

// TablesLag adds topic lags up per table: sources maps each table to the
// topics that feed it (tables missing from it are fed by every topic).
func TablesLag(tables []Table, lags []TopicLag, sources map[string][]string) []TableLag {
	out := make([]TableLag, 0, len(tables))
	for _, t := range tables {
		tl := TableLag{Table: t.Name}
		feeds, ok := sources[t.Name]
		for _, l := range lags {
			if ok && !slices.Contains(feeds, l.Topic) {
				continue
			}
			tl.Topics = append(tl.Topics, l.Topic)
			tl.Events += l.Events
			tl.Seconds = max(tl.Seconds, l.Seconds)
		}
		out = append(out, tl)
	}
	return out
}
