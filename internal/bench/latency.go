package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

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
			mu.Unlock()
			e.out.line("  [%s] %4.0fs/%.0fs  sent %s at %s/s, %s awaiting a reply", rt.name, time.Since(t0).Seconds(), rt.d.Seconds(),
				thousands(float64(i)), thousands(float64(rt.rate)), thousands(float64(open)))
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
	return summarize(lat), nil
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
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.brokers...), kgo.ProducerLinger(0),
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
	for _, rate := range e.cfg.Rates {
		base, err := e.roundTrips(ctx, roundTrip{name: fmt.Sprintf("baseline 3 at %d/s", rate), rate: rate, d: e.cfg.LatencyDuration, replies: rep,
			next: func() (string, []byte, []byte, []byte) {
				// Keyed by the command id (as long as a customer id), so
				// that every reply is told apart, as results are.
				_, v, id := e.wl.Change()
				return req, id, v, id
			}})
		if err != nil {
			return err
		}
		got, err := e.roundTrips(ctx, roundTrip{name: fmt.Sprintf("command→result at %d/s", rate), rate: rate, d: e.cfg.LatencyDuration, replies: topics.Results.Name,
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
			switch rate {
			case 1000:
				f.Target, f.Met = "≤ 3 × baseline 3", ptr(f.Ratio <= 3)
			case 10000:
				f.Target, f.Met = "≤ 25 ms", ptr(q.v <= 25)
			}
		}
		e.report.add(f)
	}
}
