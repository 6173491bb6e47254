package engine

import (
	"context"
	"sync"
	"time"
)

// A snapshot's window keeps each recent command's encoded events so that a
// redelivered command can re-emit what the log lacks (docs/adr/0004). Once
// goka has committed a command's offset every emit of it was acknowledged,
// so the window may forget those bytes: most of a snapshot, which is read
// and written with every command. The group's committed offsets are
// fetched in the background, at most once per committedRefresh, and a
// stale figure only makes the window keep more than it needs.

// committedRefresh is how often the committed offsets are fetched again:
// goka commits every second.
const committedRefresh = time.Second

// committedTimeout bounds one fetch.
const committedTimeout = 5 * time.Second

type committedOffsets struct {
	mu      sync.Mutex
	by      map[int32]int64
	fetched time.Time
	busy    bool
}

// committed returns the group's last seen committed offset on a partition
// of its command topic, -1 when unknown (no event log to ask, nothing
// committed yet, a fetch failed or is still running). The first call
// fetches before it answers; later ones start a fetch in the background
// when the figure is older than committedRefresh.
func (h *handler[S, C, E]) committed(partition int32) int64 {
	if h.rt.eventLog == nil {
		return -1
	}
	c := &h.offsets
	c.mu.Lock()
	first := c.fetched.IsZero() && !c.busy
	stale := !c.busy && time.Since(c.fetched) >= committedRefresh
	c.busy = c.busy || stale
	c.mu.Unlock()
	switch {
	case first:
		h.fetchCommitted()
	case stale:
		go h.fetchCommitted()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.by[partition]; ok {
		return o
	}
	return -1
}

func (h *handler[S, C, E]) fetchCommitted() {
	ctx, cancel := context.WithTimeout(context.Background(), committedTimeout)
	defer cancel()
	by, err := h.rt.eventLog.Committed(ctx, h.names.Group, h.names.Commands.Name)
	c := &h.offsets
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy, c.fetched = false, time.Now()
	if err != nil {
		// Keeping the last figure is safe: the windows keep more.
		h.rt.log.Debug("could not fetch the committed offsets; windows keep their events meanwhile", "group", h.names.Group, "err", err)
		return
	}
	c.by = by
}
