package analytics

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Offsets are end offsets by topic and partition.
type Offsets map[string]map[int32]int64

// HistoryTopics are the topics a History is read from: every event topic
// and the notifications the default sender recorded.
func HistoryTopics() []string {
	return append(topics.EventTopics(), topics.NotificationsSent.Name)
}

// ReadHistory reads HistoryTopics from their start to the end offsets they
// have when it is called (direct partition reads, no consumer group),
// decodes every record with sd, and returns the history and those end
// offsets: a projection that has committed them has seen everything the
// history holds.
func ReadHistory(ctx context.Context, kafka []kgo.Opt, sd *serde.Serde) (*History, Offsets, error) {
	cl, err := kgo.NewClient(kafka...)
	if err != nil {
		return nil, nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, HistoryTopics()...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("analytics: list end offsets: %w", err)
	}
	offsets := Offsets{}
	from := map[string]map[int32]kgo.Offset{}
	left := 0
	ends.Each(func(o kadm.ListedOffset) {
		if offsets[o.Topic] == nil {
			offsets[o.Topic] = map[int32]int64{}
		}
		offsets[o.Topic][o.Partition] = o.Offset
		if o.Offset > 0 {
			if from[o.Topic] == nil {
				from[o.Topic] = map[int32]kgo.Offset{}
			}
			from[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
			left++
		}
	})
	h := &History{}
	if left == 0 {
		return h, offsets, nil
	}
	cl.AddConsumePartitions(from)
	// Records in log order per partition; partitions interleave. The
	// figures do not depend on the order across partitions.
	for left > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var errs []error
		fetches.EachError(func(t string, p int32, err error) { errs = append(errs, fmt.Errorf("fetch %s/%d: %w", t, p, err)) })
		if len(errs) > 0 {
			return nil, nil, errs[0]
		}
		var derr error
		fetches.EachRecord(func(rec *kgo.Record) {
			end := offsets[rec.Topic][rec.Partition]
			if rec.Offset >= end || derr != nil {
				return
			}
			if derr = h.addRecord(ctx, sd, rec); derr != nil {
				return
			}
			if rec.Offset == end-1 {
				left--
			}
		})
		if derr != nil {
			return nil, nil, derr
		}
	}
	return h, offsets, nil
}

func (h *History) addRecord(ctx context.Context, sd *serde.Serde, rec *kgo.Record) error {
	pos := serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}
	v, err := sd.Decode(ctx, pos, rec.Value)
	if err != nil {
		return err
	}
	if n, ok := v.(*notes.Notification); ok {
		h.AddNotification(n)
		return nil
	}
	ev, ok := v.(schemas.Event)
	if !ok {
		return fmt.Errorf("%s: %T is neither an event nor a notification", pos, v)
	}
	name, _, err := sd.Writer(ctx, rec.Value)
	if err != nil {
		return err
	}
	agg, ok := topics.AggregateOf(rec.Topic)
	if !ok || !slices.Contains(topics.EventTopics(), rec.Topic) {
		return fmt.Errorf("%s: not an event topic of the catalogue", pos)
	}
	h.Add(Event{Type: name, Aggregate: agg.Type, Event: ev})
	return nil
}
