package emitters

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Results tails mallbots.results and hands each result to whoever waits for
// its command id. Every instance reads every partition (no consumer group):
// the producer of a command may be any instance.
type Results struct {
	client *kgo.Client
	sd     *serde.Serde
	log    *slog.Logger

	mu      sync.Mutex
	waiters map[string][]chan schemas.CommandResult
	ready   chan struct{}
}

// NewResults connects to Kafka. It reads nothing until Run.
func NewResults(kafka []kgo.Opt, sd *serde.Serde, log *slog.Logger) (*Results, error) {
	client, err := kgo.NewClient(append(append([]kgo.Opt(nil), kafka...), kgo.ClientID("mallbots-results"))...)
	if err != nil {
		return nil, fmt.Errorf("results consumer: %w", err)
	}
	return &Results{client: client, sd: sd, log: log, waiters: map[string][]chan schemas.CommandResult{}, ready: make(chan struct{})}, nil
}

// Ready is closed once Run is positioned at the end of every partition, so
// a command sent after it has its result seen.
func (r *Results) Ready() <-chan struct{} { return r.ready }

// Run reads results until ctx is done.
func (r *Results) Run(ctx context.Context) error {
	defer r.client.Close()
	ends, err := kadm.NewClient(r.client).ListEndOffsets(ctx, topics.Results.Name)
	if err != nil {
		return fmt.Errorf("list the end offsets of %s: %w", topics.Results.Name, err)
	}
	start := map[string]map[int32]kgo.Offset{topics.Results.Name: {}}
	ends.Each(func(o kadm.ListedOffset) {
		start[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset)
	})
	if len(start[topics.Results.Name]) == 0 {
		return fmt.Errorf("topic %s has no partitions: run `mallbots topics apply`", topics.Results.Name)
	}
	r.client.AddConsumePartitions(start)
	close(r.ready)
	for {
		fetches := r.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(t string, p int32, err error) {
			r.log.Warn("reading results", "topic", t, "partition", p, "err", err)
		})
		fetches.EachRecord(r.deliver)
	}
}

func (r *Results) deliver(rec *kgo.Record) {
	r.mu.Lock()
	ws := r.waiters[string(rec.Key)]
	delete(r.waiters, string(rec.Key))
	r.mu.Unlock()
	if len(ws) == 0 {
		return
	}
	v, err := r.sd.Decode(context.Background(), serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}, rec.Value)
	if err != nil {
		r.log.Error("undecodable result", "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "command_id", string(rec.Key), "err", err)
		return
	}
	res, ok := v.(*schemas.CommandResult)
	if !ok {
		r.log.Error("not a result on the results topic", "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset,
			"command_id", string(rec.Key), "type", fmt.Sprintf("%T", v))
		return
	}
	for _, w := range ws {
		w <- *res
	}
}

// expect registers interest in a command's result before it is sent.
func (r *Results) expect(commandID string) (<-chan schemas.CommandResult, func()) {
	ch := make(chan schemas.CommandResult, 1)
	r.mu.Lock()
	r.waiters[commandID] = append(r.waiters[commandID], ch)
	r.mu.Unlock()
	cancel := func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		ws := r.waiters[commandID]
		for i, w := range ws {
			if w == ch {
				r.waiters[commandID] = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(r.waiters[commandID]) == 0 {
			delete(r.waiters, commandID)
		}
	}
	return ch, cancel
}
