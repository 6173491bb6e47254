package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mallbots/mallbots/platform/gokart"
	"github.com/mallbots/mallbots/topics"
)

// A round trip is a request produced at a fixed offered rate and its reply
// read back; its latency runs from the moment the request was due (open
// loop: a late sender does not hide the delay it causes) to the reply's
// arrival at the client.
type roundTrip struct {
	name    string
	rate    int
	d       time.Duration
	replies string
	// next returns the request to produce and the key its reply carries.
	next func() (topic string, key, value, replyKey []byte)
}

type percentiles struct {
	n                int
	p50, p99, p999   float64 // milliseconds
	max              float64
	sentLate, missed int
	// paused is the longest broker pause a first try overlapped (and was
	// measured again for), stillPaused the one the kept try overlapped.
	paused, stillPaused time.Duration
	pausedP99           float64 // the first try's
	// seconds are the p99s of each second after the first (ms): whether a
	// p99 over its target is one slow second or every second.
	seconds []float64
}

func (e *env) roundTrips(ctx context.Context, rt roundTrip) (percentiles, error) {
	starts, err := e.kafka.ends(ctx, rt.replies)
	if err != nil {
		return percentiles{}, err
	}
	offs := map[int32]kgo.Offset{}
	for p, o := range starts {
		offs[p] = kgo.NewOffset().At(o)
	}
	tail, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{rt.replies: offs}), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return percentiles{}, err
	}
	defer tail.Close()
	p, err := newProducer(e.kafka.brokers, 0)
	if err != nil {
		return percentiles{}, err
	}
	defer p.close()

	var mu sync.Mutex
	pending := map[string]time.Time{}
	var lat []time.Duration
	// recent holds the latencies of the replies since the last progress
	// line, so that the line shows where in the run the slow ones fall.
	var recent []time.Duration
	var seconds []float64
	warm := min(time.Second, rt.d/10)
	tailCtx, stopTail := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Go(func() {
		for tailCtx.Err() == nil {
			fs := tail.PollFetches(tailCtx)
			now := time.Now()
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				if due, ok := pending[string(r.Key)]; ok {
					delete(pending, string(r.Key))
					if due.Sub(t0) >= warm {
						lat = append(lat, now.Sub(due))
					}
					recent = append(recent, now.Sub(due))
				}
			})
			mu.Unlock()
		}
	})
	defer func() { stopTail(); wg.Wait() }()

	interval := time.Second / time.Duration(rt.rate)
	total := int(rt.d.Seconds() * float64(rt.rate))
	lastPrint := t0
	for i := 0; i < total && ctx.Err() == nil; {
		now := time.Now()
		for ; i < total; i++ {
			due := t0.Add(time.Duration(i) * interval)
			if due.After(now) {
				break
			}
			topic, key, value, replyKey := rt.next()
			mu.Lock()
			pending[string(replyKey)] = due
			mu.Unlock()
			p.produce(ctx, topic, key, value)
		}
		if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			mu.Lock()
			open := len(pending)
			last := summarize(recent)
			recent = recent[:0]
			mu.Unlock()
			if lastPrint.Sub(t0) >= time.Second+warm {
				seconds = append(seconds, last.p99)
			}
			e.out.line("  [%s] %4.0fs/%.0fs  sent %s at %s/s, %s awaiting a reply; last second p50 %.1f ms, p99 %.1f ms, max %.1f ms",
				rt.name, time.Since(t0).Seconds(), rt.d.Seconds(), thousands(float64(i)), thousands(float64(rt.rate)), thousands(float64(open)),
				last.p50, last.p99, last.max)
		}
		time.Sleep(200 * time.Microsecond)
	}
	if err := p.flush(ctx); err != nil {
		return percentiles{}, err
	}
	if rt.replies == topics.Results.Name {
		e.sent += p.acked.Load()
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		mu.Lock()
		open := len(pending)
		mu.Unlock()
		if open == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pending) > 0 {
		return percentiles{}, fmt.Errorf("%s: %d of %d requests got no reply within 30s: %w", rt.name, len(pending), total, errLoss)
	}
	out := summarize(lat)
	out.seconds = seconds
	return out, nil
}

func summarize(lat []time.Duration) percentiles {
	slices.Sort(lat)
	at := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(math.Ceil(q*float64(len(lat)))) - 1
		return ms(lat[max(i, 0)])
	}
	out := percentiles{n: len(lat), p50: at(0.50), p99: at(0.99), p999: at(0.999)}
	if len(lat) > 0 {
		out.max = ms(lat[len(lat)-1])
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// relay is baseline 3's service: a raw franz-go client that produces every
// request it reads back as a reply with the same key, with no linger.
func (e *env) relay(ctx context.Context, req, rep string) (stop func(), err error) {
	for _, t := range []string{req, rep} {
		if err := e.kafka.createTopic(ctx, t, topics.AggregatePartitions, false); err != nil {
			return nil, err
		}
	}
	ends, err := e.kafka.ends(ctx, req)
	if err != nil {
		return nil, err
	}
	offs := map[int32]kgo.Offset{}
	for p, o := range ends {
		offs[p] = kgo.NewOffset().At(o)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.brokers...), kgo.ProducerLinger(0), kgo.MetadataMinAge(gokart.MetadataMinAge),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{req: offs}), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for rctx.Err() == nil {
			cl.PollFetches(rctx).EachRecord(func(r *kgo.Record) {
				cl.Produce(rctx, &kgo.Record{Topic: rep, Key: r.Key, Value: r.Value}, nil)
			})
		}
	})
	return func() { cancel(); wg.Wait(); cl.Close() }, nil
}

// latency measures, at each offered rate, baseline 3 (a raw franz-go round
// trip through the relay) and then command→result through the aggregate
// instance.
func (e *env) latency(ctx context.Context) error {
	req, rep := e.benchTopic("rtt.req"), e.benchTopic("rtt.rep")
	stopRelay, err := e.relay(ctx, req, rep)
	if err != nil {
		return err
	}
	defer stopRelay()
	w, err := watchBroker(ctx, e.kafka.brokers)
	if err != nil {
		return err
	}
	defer w.close()
	for _, rate := range e.cfg.Rates {
		base, err := e.unpaused(ctx, w, roundTrip{name: fmt.Sprintf("baseline 3 at %d/s", rate), rate: rate, d: e.cfg.LatencyDuration, replies: rep,
			next: func() (string, []byte, []byte, []byte) {
				// Keyed by the command id (as long as a customer id), so
				// that every reply is told apart, as results are.
				_, v, id := e.wl.Change()
				return req, id, v, id
			}})
		if err != nil {
			return err
		}
		got, err := e.unpaused(ctx, w, roundTrip{name: fmt.Sprintf("command→result at %d/s", rate), rate: rate, d: e.cfg.LatencyDuration, replies: topics.Results.Name,
			next: func() (string, []byte, []byte, []byte) {
				k, v, id := e.wl.Change()
				return topics.Customers.Commands.Name, k, v, id
			}})
		if err != nil {
			return err
		}
		e.latencyFigures(rate, got, base)
	}
	return nil
}

func (e *env) latencyFigures(rate int, got, base percentiles) {
	spread := func(limit float64) string {
		note := secondsNote(got.seconds, limit)
		e.out.line("  command→result at %d/s: p99 %.1f ms%s", rate, got.p99, note)
		return note
	}
	for _, q := range []struct {
		name      string
		v, b      float64
		target    string
		met       *bool
		isP99Line bool
	}{
		{name: "p50", v: got.p50, b: base.p50},
		{name: "p99", v: got.p99, b: base.p99, isP99Line: true},
		{name: "p99.9", v: got.p999, b: base.p999},
	} {
		f := Figure{Name: fmt.Sprintf("latency.%d.%s", rate, q.name), What: fmt.Sprintf("command→result latency %s at %d commands/s", q.name, rate),
			Value: q.v, Unit: "ms", Baseline: q.b, BaselineName: "baseline 3", Ratio: ratio(q.v, q.b)}
		if q.isP99Line {
			f.Note = fmt.Sprintf("%d samples, max %.1f ms; baseline max %.1f ms", got.n, got.max, base.max)
			f.Note += pauseNote("", got) + pauseNote("baseline ", base)
			switch rate {
			case 1000:
				f.Target, f.Met = "≤ 3 × baseline 3", ptr(f.Ratio <= 3)
				f.Note += spread(3 * base.p99)
			case 10000:
				f.Target, f.Met = "≤ 10 ms (issue 27; issue 7 asked ≤ 25)", ptr(q.v <= 10)
				f.Note += spread(10)
			}
		}
		e.report.add(f)
	}
}

// secondsNote says how the p99s of the single seconds spread, and how many
// of them were over limit (ms): a p99 over its target can be one slow
// second in ten or all of them.
func secondsNote(seconds []float64, limit float64) string {
	if len(seconds) == 0 {
		return ""
	}
	s := slices.Sorted(slices.Values(seconds))
	over := 0
	for _, p99 := range s {
		if p99 > limit {
			over++
		}
	}
	return fmt.Sprintf("; p99 of each second: median %.1f ms, slowest %.1f ms, %d of %d seconds over %.1f ms", s[(len(s)-1)/2], s[len(s)-1], over, len(s), limit)
}

// The embedded broker (kfake) compacts its compacted topics (the goka
// tables) on the goroutine that serves every request (when
// platform/broker's compactor decides: the tables doubled, at most every
// 5 minutes): while it reads and rewrites them it answers no one, for 1.5
// to 3 s in a --keys 20000 run, longer as the tables grow. Such a
// pause stops a command and a baseline round trip alike, but it lands in
// one of the measurements at random, and a few seconds without a reply are
// the p99 of the one it lands in. So a measurement that overlapped a pause
// is taken again, the same for baseline 3 and command→result, and the
// pause is reported rather than left in one side of the ratio.

// brokerPause is the shortest silence of the broker counted as a pause: an
// ApiVersions request is answered in well under a millisecond, and in tens
// of milliseconds when the machine is saturated.
const brokerPause = 250 * time.Millisecond

// unpaused measures rt, and once again if the broker paused during it.
func (e *env) unpaused(ctx context.Context, w *brokerWatch, rt roundTrip) (percentiles, error) {
	t0 := time.Now()
	res, err := e.roundTrips(ctx, rt)
	if err != nil {
		return res, err
	}
	p := w.longest(t0, time.Now())
	if p == 0 {
		return res, nil
	}
	e.out.line("  [%s] the broker answered nothing for %s (kfake compacting its tables; p99 %.1f ms, max %.1f ms with it): measuring again",
		rt.name, p.Round(time.Millisecond), res.p99, res.max)
	firstP99 := res.p99
	t0 = time.Now()
	res, err = e.roundTrips(ctx, rt)
	res.paused, res.pausedP99 = p, firstP99
	if p := w.longest(t0, time.Now()); p > 0 && err == nil {
		e.out.line("  [%s] the broker paused again, for %s: kept", rt.name, p.Round(time.Millisecond))
		res.stillPaused = p
	}
	return res, err
}

func pauseNote(who string, p percentiles) string {
	switch {
	case p.stillPaused > 0:
		return fmt.Sprintf("; %sincludes a broker pause of %s (compaction)", who, p.stillPaused.Round(time.Millisecond))
	case p.paused > 0:
		return fmt.Sprintf("; %smeasured again after a broker pause of %s (compaction; p99 %.1f ms with it)", who, p.paused.Round(time.Millisecond), p.pausedP99)
	}
	return ""
}

// brokerWatch asks the broker for its API versions, one request after the
// other, and keeps the requests that took brokerPause or longer.
type brokerWatch struct {
	cl     *kgo.Client
	stop   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	pauses []span
}

type span struct{ from, to time.Time }

func watchBroker(ctx context.Context, brokers []string) (*brokerWatch, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	w := &brokerWatch{cl: cl, stop: stop}
	w.wg.Go(func() {
		for ctx.Err() == nil {
			t0 := time.Now()
			_, err := cl.Request(ctx, kmsg.NewPtrApiVersionsRequest())
			if t1 := time.Now(); err == nil && t1.Sub(t0) >= brokerPause {
				w.mu.Lock()
				w.pauses = append(w.pauses, span{t0, t1})
				w.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return w, nil
}

// longest returns the longest pause that overlapped [from, to], or 0.
func (w *brokerWatch) longest(from, to time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var d time.Duration
	for _, p := range w.pauses {
		if p.from.Before(to) && p.to.After(from) {
			d = max(d, p.to.Sub(p.from))
		}
	}
	return d
}

// pausesNote says how often and how long the broker paused during [from,
// to], for a figure whose outliers a pause may explain.
func (w *brokerWatch) pausesNote(from, to time.Time) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int
	var total, longest time.Duration
	for _, p := range w.pauses {
		if p.from.Before(to) && p.to.After(from) {
			n++
			total += p.to.Sub(p.from)
			longest = max(longest, p.to.Sub(p.from))
		}
	}
	if n == 0 {
		return fmt.Sprintf("; the broker answered within %s throughout", brokerPause)
	}
	times := fmt.Sprintf("%d times", n)
	if n == 1 {
		times = "once"
	}
	return fmt.Sprintf("; the broker answered nothing %s meanwhile (kfake compacting or stalled), %s in all, the longest %s",
		times, total.Round(time.Millisecond), longest.Round(time.Millisecond))
}

func (w *brokerWatch) close() { w.stop(); w.wg.Wait(); w.cl.Close() }
