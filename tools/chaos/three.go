package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/gokart"
	"github.com/mallbots/mallbots/tools/loadgen"
	"github.com/mallbots/mallbots/topics"
)

// SessionTimeout is the consumer-group session timeout of goka's clients:
// how long the group coordinator waits for a silent member before it gives
// its partitions to the others.
const SessionTimeout = gokart.SessionTimeout

// HandoverWithin is how soon after a kill -9 the killed instance's
// partitions must process commands again on the survivors.
const HandoverWithin = 5 * time.Second

// ThreeInstances runs the processors in three instances sharing the
// partitions of every group: a runs everything (the embedded broker,
// registry and ClickHouse, the API, the projections and every processor),
// b and c only the processor groups. It checks that each instance owns
// partitions of every group, kills b with SIGKILL under load, and measures
// how long until the others own all of b's partitions and until commands on
// b's former partitions are applied again. At the end, besides the ledger's
// checks, the load generator's order counts must equal ClickHouse's.
// Rounds > 1 restarts the killed instance and kills the next one (c, then b).
func ThreeInstances(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.defaults(); err != nil {
		return Report{}, err
	}
	standby := ""
	var extra []string
	if cfg.HotStandby {
		standby, extra = " (hot standby)", []string{"--hot-standby"}
	}
	r := Report{Scenario: "kill -9 of one of three processor instances sharing partitions, under load" + standby}
	start := time.Now()
	a, err := startProc(ctx, &cfg, "a", append([]string{"--instance-id", "a"}, extra...)...)
	if err != nil {
		return r, err
	}
	defer a.Stop()
	procs := map[string]*Proc{"a": a}
	for _, name := range []string{"b", "c"} {
		p, err := startProc(ctx, &cfg, name, append(append(usingInfraOf(a), "--components", processorGroups, "--instance-id", name), extra...)...)
		if err != nil {
			return r, err
		}
		defer p.Stop()
		procs[name] = p
	}
	groups := processorGroupNames()
	owners, err := waitOwners(ctx, a.Kafka, groups, []string{"a", "b", "c"}, 2*time.Minute)
	if err != nil {
		return r, err
	}
	r.Extra = append(r.Extra, "before the kill: "+ownership(owners))

	ledger, stopLedger := load(&Config{Workers: cfg.Workers}, a.API, a.Token)
	shoppers := runShoppers(cfg.Shoppers, a.API(), a.Token)
	rng := rand.New(rand.NewPCG(cfg.Seed, 5))
	victims := []string{"b", "c"}
	for i := 1; i <= max(cfg.Rounds, 1) && ctx.Err() == nil; i++ {
		victim := victims[(i-1)%len(victims)]
		var live []string
		for _, n := range []string{"a", "b", "c"} {
			if n != victim {
				live = append(live, n)
			}
		}
		pause(ctx, rng, 5*time.Second, 8*time.Second)
		before, err := describeOwners(ctx, a.Kafka, groups)
		if err != nil {
			stopLedger()
			return r, err
		}
		lost := before[topics.Customers.Group][victim]
		acked := len(ledger.Acked())
		if err := procs[victim].Kill9(); err != nil {
			stopLedger()
			return r, err
		}
		killed := time.Now()
		r.Faults++
		cfg.logf("killed instance %s (round %d) after %d acknowledged commands; it owned %s", victim, i, acked, ownershipOf(before, victim))
		moved, err := waitMoved(ctx, a.Kafka, groups, victim, live, 2*time.Minute)
		if err != nil {
			stopLedger()
			return r, err
		}
		movedAfter := time.Since(killed)
		applied, err := probePartitions(ctx, a.API(), a.Token, lost, time.Minute)
		if err != nil {
			stopLedger()
			return r, err
		}
		appliedAfter := applied.Sub(killed)
		r.Extra = append(r.Extra, fmt.Sprintf("round %d: %s killed; every partition of its %d groups owned by %s %.1fs after the kill (session timeout %s); commands on its former customers partitions %v applied again %.1fs after the kill; then %s",
			i, victim, len(groups), strings.Join(live, " and "), movedAfter.Seconds(), SessionTimeout, lost, appliedAfter.Seconds(), ownership(moved)))
		cfg.logf("partitions moved %.1fs after the kill, commands applied again after %.1fs", movedAfter.Seconds(), appliedAfter.Seconds())
		if appliedAfter > HandoverWithin {
			r.Problems = append(r.Problems, fmt.Sprintf("round %d: commands on the killed instance's partitions were applied again %.1fs after the kill, more than %s", i, appliedAfter.Seconds(), HandoverWithin))
		}
		if i < max(cfg.Rounds, 1) {
			if err := procs[victim].Start(ctx, 2*time.Minute); err != nil {
				stopLedger()
				return r, err
			}
			if _, err := waitOwners(ctx, a.Kafka, groups, []string{"a", "b", "c"}, 2*time.Minute); err != nil {
				stopLedger()
				return r, err
			}
			cfg.logf("instance %s is back and shares the partitions again", victim)
		}
	}
	pause(ctx, rng, 3*time.Second, 3*time.Second)
	stopLedger()
	summary := shoppers.wait()
	ledger.setShoppers(summary, nil)
	if n := summary.TimedOut(); n > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d orders were rejected because a saga step got no reply in time: a handover must not reject orders", n))
	}
	err = Check(ctx, &r, a, ledger)
	if err == nil && summary.Orders != nil {
		var out strings.Builder
		same, cerr := loadgen.Compare(ctx, &out, a.CH, summary, time.Minute)
		switch {
		case cerr != nil:
			err = cerr
		case !same:
			r.Problems = append(r.Problems, "the load generator's order counts differ from ClickHouse's:"+out.String())
		default:
			r.Extra = append(r.Extra, fmt.Sprintf("the load generator's %d orders by status equal ClickHouse's", len(summary.Orders)))
		}
	}
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

// processorGroupNames are the goka groups of processorGroups.
func processorGroupNames() []string {
	var out []string
	for _, c := range strings.Split(processorGroups, ",") {
		out = append(out, "mallbots."+c)
	}
	return out
}

// owners maps group → instance → the partitions it owns.
type owners map[string]map[string][]int32

// describeOwners asks the group coordinator who owns what. An instance is
// known by its client id, "mallbots-<instance>-<group>" (--instance-id).
func describeOwners(ctx context.Context, broker string, groups []string) (owners, error) {
	cl, err := kgo.NewClient(chaosOpts(broker)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	described, err := kadm.NewClient(cl).DescribeGroups(ctx, groups...)
	if err != nil {
		return nil, err
	}
	out := owners{}
	for _, g := range described.Sorted() {
		out[g.Group] = map[string][]int32{}
		for _, m := range g.Members {
			inst := strings.TrimPrefix(m.ClientID, "mallbots-")
			inst, _, _ = strings.Cut(inst, "-")
			assigned, ok := m.Assigned.AsConsumer()
			if !ok {
				continue
			}
			seen := map[int32]bool{}
			for _, t := range assigned.Topics {
				for _, p := range t.Partitions {
					seen[p] = true
				}
			}
			for p := range seen {
				out[g.Group][inst] = append(out[g.Group][inst], p)
			}
			slices.Sort(out[g.Group][inst])
		}
	}
	return out, nil
}

// complete says whether exactly the instances in want own all the
// partitions of every group, each some.
func (o owners) complete(groups, want []string) bool {
	for _, g := range groups {
		n := 0
		for inst, ps := range o[g] {
			if !slices.Contains(want, inst) || len(ps) == 0 {
				return false
			}
			n += len(ps)
		}
		if len(o[g]) != len(want) || n != int(topics.AggregatePartitions) {
			return false
		}
	}
	return true
}

func waitOwners(ctx context.Context, broker string, groups, want []string, within time.Duration) (owners, error) {
	deadline := time.Now().Add(within)
	for {
		o, err := describeOwners(ctx, broker, groups)
		if err == nil && o.complete(groups, want) {
			return o, nil
		}
		if time.Now().After(deadline) {
			return o, fmt.Errorf("after %s the partitions are not shared by %v: %s (%v)", within, want, ownership(o), err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitMoved waits until the live instances own every partition of every
// group (the victim none).
func waitMoved(ctx context.Context, broker string, groups []string, victim string, live []string, within time.Duration) (owners, error) {
	o, err := waitOwners(ctx, broker, groups, live, within)
	if err != nil {
		return nil, fmt.Errorf("%s's partitions did not move: %w", victim, err)
	}
	return o, nil
}

// probePartitions registers a customer on each partition of the customers
// group until every one is applied (201 within the API's request timeout):
// the partitions are processed again. It returns when the last was.
func probePartitions(ctx context.Context, api, token string, partitions []int32, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	var last time.Time
	for _, p := range partitions {
		for {
			id := idOnPartition(p)
			status, err := post(ctx, api+"/api/customers", token, map[string]any{"id": id, "name": "Probe", "smsNumber": "+15550199"})
			if err == nil && status == http.StatusCreated {
				last = time.Now()
				break
			}
			if time.Now().After(deadline) {
				return last, fmt.Errorf("no command applied on customers partition %d within %s (last answer %d, %v)", p, within, status, err)
			}
			select {
			case <-ctx.Done():
				return last, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if last.IsZero() {
		last = time.Now()
	}
	return last, nil
}

// idOnPartition returns a fresh aggregate id whose key hashes to p.
func idOnPartition(p int32) string {
	for {
		id := uuid.NewString()
		if topics.PartitionFor(id, topics.AggregatePartitions) == p {
			return id
		}
	}
}

func ownership(o owners) string {
	per := map[string]int{}
	var groups []string
	for g, insts := range o {
		groups = append(groups, g)
		for inst, ps := range insts {
			per[inst] += len(ps)
		}
	}
	var insts []string
	for inst := range per {
		insts = append(insts, inst)
	}
	sort.Strings(insts)
	var parts []string
	for _, inst := range insts {
		parts = append(parts, fmt.Sprintf("%s owns %d", inst, per[inst]))
	}
	return fmt.Sprintf("%s of the %d partitions of %d groups", strings.Join(parts, ", "), int(topics.AggregatePartitions)*len(groups), len(groups))
}

func ownershipOf(o owners, inst string) string {
	n := 0
	for _, insts := range o {
		n += len(insts[inst])
	}
	return fmt.Sprintf("%d partitions of %d groups", n, len(o))
}

// shopperRun is background shoppers whose summary is kept.
type shopperRun struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	summary loadgen.Summary
}

// runShoppers starts n shoppers at 5 a second (none when n is 0).
func runShoppers(n int, api, token string) *shopperRun {
	ctx, cancel := context.WithCancel(context.Background())
	s := &shopperRun{cancel: cancel}
	if n == 0 {
		return s
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.summary, _ = loadgen.Run(ctx, loadgen.Config{API: api, Token: token, Shoppers: n, Rate: 5, Concurrency: 8, OrderTimeout: 30 * time.Second})
	}()
	return s
}

// wait lets the shoppers finish (each follows its order to its end or its
// timeout) and returns their summary.
func (s *shopperRun) wait() loadgen.Summary {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		s.cancel()
		<-done
	}
	s.cancel()
	return s.summary
}

// post sends a JSON body and returns the status.
func post(ctx context.Context, url, token string, body any) (int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	authorize(req, token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
