package system

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/topics"
)

// operationsReport serves GET /api/operations: this instance's components,
// every processor group's partitions with their owner and lag (described
// as the metrics' watcher, who may describe every group and read no
// record), the projections' lag, the newest dead letters (read as the
// API), and the groups' throughput over the last minutes.
//
// The throughput is the growth of each group's committed offsets between
// two samples, so it counts what every instance of the group did, not only
// this one's.
type operationsReport struct {
	s   *System
	adm *kadm.Client

	mu      sync.Mutex
	last    httpapi.OperationsReport
	until   time.Time
	samples []commitSample
	letters []httpapi.DeadLetter
	read    time.Time // when letters were read
}

type commitSample struct {
	at        time.Time
	committed map[string]int64 // group → the sum of its committed offsets
}

const (
	// operationsCache: one measurement serves every page that asks within
	// it (each asks every 2 s).
	operationsCache = time.Second
	// throughputWindow is how far back the throughput goes; a sample is
	// kept at most every throughputEvery.
	throughputWindow = 10 * time.Minute
	throughputEvery  = 5 * time.Second
	// deadLettersShown is how many of the newest dead letters the page
	// lists; they are read again at most every deadLettersEvery.
	deadLettersShown = 50
	deadLettersEvery = 5 * time.Second
)

// Operations implements httpapi.OperationsReader.
func (o *operationsReport) Operations(ctx context.Context) (httpapi.OperationsReport, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	if now.Before(o.until) {
		return o.last, nil
	}
	rep := httpapi.OperationsReport{MeasuredAt: now.UTC(), Components: o.components()}
	groups, err := o.groups(ctx, now)
	if err != nil {
		return httpapi.OperationsReport{}, err
	}
	rep.Groups = groups
	proj, err := o.s.report.Projections(ctx)
	if err != nil {
		return httpapi.OperationsReport{}, err
	}
	rep.Projections = proj.Projections
	if now.Sub(o.read) >= deadLettersEvery {
		letters, err := o.deadLetters(ctx)
		if err != nil {
			return httpapi.OperationsReport{}, err
		}
		o.letters, o.read = letters, now
	}
	rep.DeadLetters = o.letters
	rep.Throughput = o.throughput()
	o.last, o.until = rep, now.Add(operationsCache)
	return rep, nil
}

func (o *operationsReport) components() []httpapi.ComponentStatus {
	out := make([]httpapi.ComponentStatus, 0, len(o.s.checks))
	for _, c := range o.s.checks {
		out = append(out, httpapi.ComponentStatus{Name: c.name, Ready: c.ready()})
	}
	return out
}

// groups describes every processor group of the catalogue and records a
// throughput sample.
func (o *operationsReport) groups(ctx context.Context, now time.Time) ([]httpapi.GroupStatus, error) {
	var names []string
	for _, f := range topics.GroupFlows() {
		names = append(names, f.Group)
	}
	lags, err := o.adm.Lag(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describe the processor groups: %w", err)
	}
	sample := commitSample{at: now, committed: map[string]int64{}}
	out := make([]httpapi.GroupStatus, 0, len(names))
	for _, name := range names {
		l, ok := lags[name]
		g := httpapi.GroupStatus{Group: name, Partitions: []httpapi.PartitionStatus{}}
		if !ok {
			g.Error = "not described"
			out = append(out, g)
			continue
		}
		g.State, g.Members = l.State, len(l.Members)
		if err := l.Error(); err != nil {
			g.Error = err.Error()
		}
		var committed int64
		for _, p := range l.Lag.Sorted() {
			ps := httpapi.PartitionStatus{Topic: p.Topic, Partition: p.Partition, Lag: max(p.Lag, 0)}
			if p.Member != nil {
				ps.Owner = p.Member.ClientID + "@" + p.Member.ClientHost
			}
			if p.Commit.At >= 0 {
				committed += p.Commit.At
			}
			g.Lag += ps.Lag
			g.Partitions = append(g.Partitions, ps)
		}
		sample.committed[name] = committed
		out = append(out, g)
	}
	if n := len(o.samples); n == 0 || now.Sub(o.samples[n-1].at) >= throughputEvery {
		o.samples = append(o.samples, sample)
		cut := slices.IndexFunc(o.samples, func(s commitSample) bool { return now.Sub(s.at) <= throughputWindow })
		o.samples = o.samples[max(cut, 0):]
	}
	return out, nil
}

// throughput turns consecutive samples into records per second.
func (o *operationsReport) throughput() []httpapi.ThroughputSample {
	out := []httpapi.ThroughputSample{}
	for i := 1; i < len(o.samples); i++ {
		prev, cur := o.samples[i-1], o.samples[i]
		secs := cur.at.Sub(prev.at).Seconds()
		rates := map[string]float64{}
		for g, c := range cur.committed {
			if p, ok := prev.committed[g]; ok && c >= p {
				rates[g] = float64(c-p) / secs
			}
		}
		out = append(out, httpapi.ThroughputSample{Time: cur.at.UTC(), Records: rates})
	}
	return out
}

// deadLetters reads the newest records of mallbots.deadletter.
func (o *operationsReport) deadLetters(ctx context.Context) ([]httpapi.DeadLetter, error) {
	opts, err := o.s.kafkaClientOptsAs("operations", topics.RoleAPI)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("read the dead letters: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, topics.DeadLetter.Name)
	if err != nil {
		return nil, fmt.Errorf("read the dead letters: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics.DeadLetter.Name)
	if err != nil {
		return nil, fmt.Errorf("read the dead letters: %w", err)
	}
	from := map[string]map[int32]kgo.Offset{topics.DeadLetter.Name: {}}
	want := map[int32]int64{}
	ends.Each(func(end kadm.ListedOffset) {
		start, _ := starts.Lookup(end.Topic, end.Partition)
		at := max(end.Offset-deadLettersShown, start.Offset)
		if at < end.Offset {
			from[end.Topic][end.Partition] = kgo.NewOffset().At(at)
			want[end.Partition] = end.Offset
		}
	})
	out := []httpapi.DeadLetter{}
	if len(want) == 0 {
		return out, nil
	}
	cl.AddConsumePartitions(from)
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read the dead letters: %w", ctx.Err())
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = errors.Join(ferr, err) })
		if ferr != nil {
			return nil, fmt.Errorf("read the dead letters: %w", ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, deadLetterOf(r))
			if r.Offset+1 >= want[r.Partition] {
				delete(want, r.Partition)
			}
		})
	}
	slices.SortFunc(out, func(a, b httpapi.DeadLetter) int { return b.Time.Compare(a.Time) })
	return out[:min(len(out), deadLettersShown)], nil
}

func deadLetterOf(r *kgo.Record) httpapi.DeadLetter {
	d := httpapi.DeadLetter{Partition: r.Partition, Offset: r.Offset, Time: r.Timestamp.UTC(), Key: string(r.Key)}
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	d.Reason = h[topics.HeaderDLQReason]
	if t := h[topics.HeaderDLQTopic]; t != "" {
		d.Source = t + "/" + h[topics.HeaderDLQPartition] + "@" + h[topics.HeaderDLQOffset]
		if g := h[topics.HeaderDLQGroup]; g != "" {
			d.Source += " (" + g + ")"
		}
	}
	if len(d.Key) > 200 {
		d.Key = d.Key[:200] + "… (" + strconv.Itoa(len(r.Key)) + " bytes)"
	}
	return d
}
