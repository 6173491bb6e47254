package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// stage is one sustained throughput measurement: the load generator
// produces as fast as the system under test absorbs, keeping at most
// backlog records produced but not yet completed (so the broker holds a
// steady queue, never the whole run), for duration. The rate is the
// completions per second after warmup. Then production stops and the stage
// must complete every record it was given (drain): anything short of that
// is loss, and run says so with errLoss.
type stage struct {
	name     string
	produce  func(ctx context.Context) // produces one record
	flush    func(ctx context.Context) error
	complete func(ctx context.Context) (int64, error) // a monotonic count; the stage subtracts its start
	duration time.Duration
	warmup   time.Duration
	backlog  int64
	// limit, when positive, ends production after limit records.
	limit int64
	// completes says what a completion is, for the error when the drain
	// ends short ("commands have a result"); default "records completed".
	completes string
	// rate, when positive, paces production at rate records per second
	// (open loop) instead of keeping backlog records in flight.
	rate  float64
	poll  time.Duration
	drain time.Duration
	out   io.Writer
}

type sample struct {
	at   time.Time
	done int64
}

type stageResult struct {
	rate     float64 // completions per second after warmup
	produced int64
	done     int64 // completed when the drain ended
	drained  bool
	took     time.Duration // from the first record to the last completion
}

func (s stage) run(ctx context.Context) (stageResult, error) {
	c0, err := s.complete(ctx)
	if err != nil {
		return stageResult{}, fmt.Errorf("%s: %w", s.name, err)
	}
	var (
		done     atomic.Int64
		produced atomic.Int64
		mu       sync.Mutex
		samples  []sample
		pollErr  atomic.Value
	)
	pollCtx, stopPoll := context.WithCancel(ctx)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() {
		t := time.NewTicker(s.poll)
		defer t.Stop()
		lastPrint := start
		for {
			c, err := s.complete(pollCtx)
			if err != nil && pollCtx.Err() == nil {
				pollErr.Store(err)
			}
			if err == nil {
				done.Store(c - c0)
				mu.Lock()
				samples = append(samples, sample{time.Now(), c - c0})
				mu.Unlock()
			}
			if time.Since(lastPrint) >= time.Second {
				lastPrint = time.Now()
				el := time.Since(start)
				d, p := done.Load(), produced.Load()
				fmt.Fprintf(s.out, "  [%s] %4.0fs/%.0fs  produced %s  completed %s  (%s/s)  backlog %s\n",
					s.name, el.Seconds(), s.duration.Seconds(), thousands(float64(p)), thousands(float64(d)),
					thousands(float64(d)/el.Seconds()), thousands(float64(p-d)))
			}
			select {
			case <-pollCtx.Done():
				return
			case <-t.C:
			}
		}
	})
	defer func() { stopPoll(); wg.Wait() }()

	deadline := start.Add(s.duration)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n := int64(256)
		if s.rate > 0 {
			n = int64(s.rate*time.Since(start).Seconds()) - produced.Load()
			if n <= 0 {
				time.Sleep(time.Millisecond)
				continue
			}
		} else if produced.Load()-done.Load() >= s.backlog {
			time.Sleep(time.Millisecond)
			continue
		}
		if s.limit > 0 {
			n = min(n, s.limit-produced.Load())
			if n <= 0 {
				break
			}
		}
		for range n {
			s.produce(ctx)
		}
		produced.Add(n)
	}
	end := time.Now()
	if err := s.flush(ctx); err != nil {
		return stageResult{}, fmt.Errorf("%s: %w", s.name, err)
	}
	res := stageResult{produced: produced.Load()}
	drainBy := time.Now().Add(s.drain)
	for done.Load() < res.produced && time.Now().Before(drainBy) && ctx.Err() == nil {
		time.Sleep(s.poll)
	}
	res.done = done.Load()
	res.drained = res.done >= res.produced
	mu.Lock()
	res.rate = steadyRate(samples, start.Add(s.warmup), end)
	if n := len(samples); n > 0 {
		for _, sm := range samples {
			if sm.done >= res.produced {
				res.took = sm.at.Sub(start)
				break
			}
		}
	}
	mu.Unlock()
	if err, _ := pollErr.Load().(error); err != nil && !res.drained {
		return res, fmt.Errorf("%s: %w", s.name, err)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if !res.drained {
		completes := s.completes
		if completes == "" {
			completes = "records completed"
		}
		return res, fmt.Errorf("%s: %d of %d %s after the drain: %w", s.name, res.done, res.produced, completes, errLoss)
	}
	return res, nil
}

// steadyRate is the completion rate between the first sample at or after
// from and the last sample at or before to.
func steadyRate(samples []sample, from, to time.Time) float64 {
	var a, b *sample
	for i := range samples {
		sm := &samples[i]
		if a == nil && !sm.at.Before(from) {
			a = sm
		}
		if !sm.at.After(to) {
			b = sm
		}
	}
	if a == nil || b == nil || !b.at.After(a.at) {
		return 0
	}
	return float64(b.done-a.done) / b.at.Sub(a.at).Seconds()
}
