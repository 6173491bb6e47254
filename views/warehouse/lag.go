package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// monitor refreshes Lag and Ready every WithLagRefresh until ctx ends. It
// asks the brokers rather than counting locally, so the figures cover the
// whole group and stay true while this member is stuck retrying ClickHouse.
//
// Until the projection is ready it refreshes every readyRefresh instead: a
// starting process is ready only once every projection is, and waiting a
// whole lagRefresh for the first look made every restart that much slower
// (ADR 0016).
func (p *Projector) monitor(ctx context.Context, adm *kadm.Client) {
	var targets map[string]map[int32]int64 // end offsets at the first refresh
	for {
		var err error
		if targets, err = p.refreshLag(ctx, adm, targets); err != nil && ctx.Err() == nil {
			p.log.Debug("lag refresh failed; keeping the last figure", "err", err)
		}
		wait := p.cfg.lagRefresh
		if !p.ready.Load() {
			wait = min(wait, readyRefresh)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// readyRefresh is how often a projection that is not ready yet looks
// again whether it has caught up.
const readyRefresh = 100 * time.Millisecond

// refreshLag computes the records beyond the group's committed offsets (or
// beyond the log start, where nothing is committed) and latches Ready once
// every partition has reached the end offset it had at the first refresh.
func (p *Projector) refreshLag(ctx context.Context, adm *kadm.Client, targets map[string]map[int32]int64) (map[string]map[int32]int64, error) {
	ends, positions, err := groupPositions(ctx, adm, p.proj.Group, p.proj.Topics)
	if err != nil {
		return targets, err
	}
	if targets == nil {
		targets = map[string]map[int32]int64{}
		ends.Each(func(o kadm.ListedOffset) {
			if targets[o.Topic] == nil {
				targets[o.Topic] = map[int32]int64{}
			}
			targets[o.Topic][o.Partition] = o.Offset
		})
	}
	var lag int64
	caughtUp := true
	ends.Each(func(end kadm.ListedOffset) {
		pos := positions(end.Topic, end.Partition)
		lag += max(end.Offset-pos, 0)
		if target, ok := targets[end.Topic][end.Partition]; ok && pos < target {
			caughtUp = false
		}
	})
	p.lag.Store(lag)
	if caughtUp && !p.ready.Load() {
		p.ready.Store(true)
		p.log.Info("projection caught up with the records present at start")
	}
	return targets, nil
}

// groupPositions lists the end offsets of topics and returns, with them,
// where group is on each partition: its committed offset, or the log start
// where it has committed nothing (or committed below the start).
func groupPositions(ctx context.Context, adm *kadm.Client, group string, topics []string) (kadm.ListedOffsets, func(topic string, partition int32) int64, error) {
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list start offsets: %w", err)
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topics...)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// A group that has never committed: some brokers say so, Kafka
		// answers with no offsets. Either way nothing is committed.
		committed, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("fetch committed offsets of %s: %w", group, err)
	}
	return ends, func(topic string, partition int32) int64 {
		pos := int64(0)
		if s, ok := starts.Lookup(topic, partition); ok {
			pos = s.Offset
		}
		if c, ok := committed.Lookup(topic, partition); ok && c.Err == nil && c.At > pos {
			pos = c.At
		}
		return pos
	}, nil
}
