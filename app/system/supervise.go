package system

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/platform/gokart"
)

// supervisedProcessor runs a goka processor and starts it again when it
// fails. Goka stops a processor for good when it loses the broker (a broker
// restart, a network cut); the views, emitters and franz-go clients
// reconnect by themselves, so without this one broker restart would take
// the whole instance down. Each restart rebuilds the group's local state
// from its table topics, its copies of other tables included (more than
// after an unclean stop, docs/adr/0005): the failed processor may have
// written its own table ahead of Kafka, and the broker it lost may have
// come back without what the copies saw.
type supervisedProcessor struct {
	graph   *goka.GroupGraph
	brokers []string
	gc      gokart.Runtime
	log     *slog.Logger

	mu sync.Mutex
	p  *goka.Processor
}

// Recovered says whether the current processor has recovered and runs.
func (s *supervisedProcessor) Recovered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p != nil && s.p.Recovered()
}

// Stats are goka's figures for the current processor.
func (s *supervisedProcessor) Stats(ctx context.Context) *goka.ProcessorStats {
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	return p.StatsWithContext(ctx)
}

// Run runs the processor until ctx ends, restarting it with backoff.
func (s *supervisedProcessor) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		started := time.Now()
		err := s.p.Run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		s.log.Error("processor stopped; restarting it", "group", s.graph.Group(), "err", err, "retry_in", backoff)
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			dir := s.gc.ProcessorStateDir(s.graph.Group())
			if err := os.RemoveAll(dir); err != nil {
				s.log.Error("cannot clear the processor's local state", "dir", dir, "err", err)
			}
			p, err := goka.NewProcessor(s.brokers, s.graph, s.gc.ProcessorOptions(s.graph.Group())...)
			if err != nil {
				s.log.Warn("processor cannot start yet", "group", s.graph.Group(), "err", err, "retry_in", backoff)
				continue
			}
			s.mu.Lock()
			s.p = p
			s.mu.Unlock()
			break
		}
	}
}
