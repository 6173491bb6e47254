package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/platform/broker"
)

// brokerNodes is the size of the brokers scenario's cluster.
const brokerNodes = 3

// Brokers runs the whole system in this process on an embedded cluster of
// three brokers and, under load, Rounds times (at least once): moves the
// leadership of every partition, and every group's coordinator, between
// the brokers a few times in a row, then makes one broker unreachable
// (broker.StopNode: connections closed and refused, its partitions and
// groups taken over by the others) for Config.Outage and brings it back.
// The system runs in this process because the faults are kfake's, on the
// broker's side of the connections; the clients are the same as in
// `mallbots run`. The checks are every scenario's (Check).
func Brokers(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.defaults(); err != nil {
		return Report{}, err
	}
	rounds := max(cfg.Rounds, 1)
	r := Report{Scenario: fmt.Sprintf("%d brokers: partition leadership moved, then one broker unreachable for %s, %d times, under load", brokerNodes, cfg.Outage, rounds)}
	start := time.Now()
	sys, p, shutdown, err := startInProcess(ctx, &cfg)
	if err != nil {
		return r, err
	}
	defer shutdown()
	b := sys.EmbeddedBroker()
	ledger, stop := load(&cfg, p.API, p.Token)
	rng := rand.New(rand.NewPCG(cfg.Seed, 5))
	var moves int
	var slowest time.Duration
	if cfg.Shoppers > 0 {
		// The shoppers set their stores and products up first, and stop
		// if that fails: the first fault waits for it.
		pause(ctx, rng, 8*time.Second, 8*time.Second)
	}
	for i := 1; i <= rounds && ctx.Err() == nil; i++ {
		pause(ctx, rng, time.Second, 2*time.Second)
		from, acked := time.Now(), len(ledger.Acked())
		for range 3 {
			b.Cluster().ShufflePartitionLeaders()
			b.Cluster().RehashCoordinators()
			moves++
			r.Faults++
			pause(ctx, rng, time.Second, 2*time.Second)
		}
		moved := time.Now()
		if err := recovered(ctx, sys, ledger, time.Minute); err != nil {
			stop()
			return r, fmt.Errorf("round %d, after the leadership moves: %w", i, err)
		}
		s := slowestAck(ledger.Acked(), from, moved)
		slowest = max(slowest, s)
		cfg.logf("round %d: every partition's leader and every group's coordinator moved 3 times in %s; %d acknowledged meanwhile, the slowest in %s",
			i, moved.Sub(from).Round(100*time.Millisecond), len(ledger.Acked())-acked, s.Round(10*time.Millisecond))

		pause(ctx, rng, time.Second, 2*time.Second)
		node := rng.Int32N(brokerNodes - 1) // any but the controller, the last
		from, acked = time.Now(), len(ledger.Acked())
		closed, err := b.StopNode(node)
		if err != nil {
			stop()
			return r, err
		}
		r.Faults++
		pause(ctx, rng, cfg.Outage, cfg.Outage)
		during := len(ledger.Acked()) - acked
		back := time.Now()
		if err := b.StartNode(node); err != nil {
			stop()
			return r, err
		}
		if err := recovered(ctx, sys, ledger, time.Minute); err != nil {
			stop()
			return r, fmt.Errorf("round %d, after broker %d came back: %w", i, node, err)
		}
		ready := time.Since(back)
		s = slowestAck(ledger.Acked(), from, back)
		slowest = max(slowest, s)
		cfg.logf("round %d: broker %d unreachable for %s (%d client connections cut): %d acknowledged meanwhile, the slowest in %s; back, ready and 20 more acknowledged %s later",
			i, node, back.Sub(from).Round(100*time.Millisecond), closed, during, s.Round(10*time.Millisecond), ready.Round(100*time.Millisecond))
		r.Extra = append(r.Extra, fmt.Sprintf("round %d: broker %d down %s, %d acknowledged while it was down, slowest acknowledgement %s, recovered %s after its return",
			i, node, back.Sub(from).Round(100*time.Millisecond), during, s.Round(10*time.Millisecond), ready.Round(100*time.Millisecond)))
	}
	pause(ctx, rng, 2*time.Second, 2*time.Second)
	stop()
	r.Extra = append(r.Extra, fmt.Sprintf("leadership of every partition moved %d times; slowest acknowledgement across every fault: %s", moves, slowest.Round(10*time.Millisecond)))
	if s := ledger.Shoppers(); s != nil && s.Stuck > 0 {
		// A shopper's order still running when the load stopped is
		// unfinished in its summary. One that is ready waits for its
		// shopper to pay the invoice, which a stopped shopper never does;
		// any other must move on by itself, unless the faults stalled its
		// saga or the bots.
		left := settleOrders(ctx, p, s.Orders, time.Minute)
		ready := 0
		for _, st := range s.Orders {
			if st == "ready" {
				ready++
			}
		}
		r.Extra = append(r.Extra, fmt.Sprintf("orders unfinished when the shoppers stopped: %d; a minute later %d wait, ready, for their stopped shopper to pay and %d have not moved on by themselves",
			s.Stuck, ready, len(left)))
		for _, id := range left[:min(len(left), 5)] {
			r.Problems = append(r.Problems, fmt.Sprintf("order %s is still %s a minute after the load's end", id, s.Orders[id]))
		}
	}
	select {
	case <-sys.Done():
		r.Problems = append(r.Problems, fmt.Sprintf("a component failed for good: %v", sys.Err()))
	default:
	}
	err = Check(ctx, &r, p, ledger)
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

// slowestAck is the longest any command took to be acknowledged among
// those in flight at some moment between from and to.
func slowestAck(acked []Acked, from, to time.Time) time.Duration {
	var d time.Duration
	for _, a := range acked {
		if a.Sent.Before(to) && a.At.After(from) {
			d = max(d, a.At.Sub(a.Sent))
		}
	}
	return d
}

// recovered waits until every component of sys is ready and 20 more
// commands have been acknowledged.
func recovered(ctx context.Context, sys *system.System, ledger *Ledger, within time.Duration) error {
	deadline := time.Now().Add(within)
	for sys.Ready() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %s: %w", within, sys.Ready())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return ackedMore(ctx, ledger, 20, time.Until(deadline))
}

// startInProcess starts the whole system in this process on an embedded
// cluster of brokerNodes brokers, logging to <Dir>/brokers.log, and
// returns it with a Proc describing it for the ledger and the checks, and
// the function that stops it.
func startInProcess(ctx context.Context, cfg *Config) (*system.System, *Proc, func(), error) {
	dir := filepath.Join(cfg.Dir, "brokers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, nil, err
	}
	logf, err := os.Create(filepath.Join(cfg.Dir, "brokers.log"))
	if err != nil {
		return nil, nil, nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sys, err := system.Start(startCtx, system.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", ClickHouseTCPAddr: "127.0.0.1:0",
		EmbeddedBrokers: brokerNodes,
		Log:             slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		logf.Close()
		return nil, nil, nil, fmt.Errorf("start the system on %d brokers: %w (log: %s)", brokerNodes, err, logf.Name())
	}
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sys.Shutdown(sctx); err != nil {
			fmt.Fprintf(logf, "shutdown: %v\n", err)
		}
		logf.Close()
	}
	for sys.Ready() != nil {
		if startCtx.Err() != nil {
			err := fmt.Errorf("the system on %d brokers did not get ready: %w (log: %s)", brokerNodes, sys.Ready(), logf.Name())
			shutdown()
			return nil, nil, nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	p, err := attach(sys)
	if err != nil {
		shutdown()
		return nil, nil, nil, err
	}
	p.logPath = logf.Name()
	return sys, p, shutdown, nil
}

// attach describes an in-process system as a Proc: its API with an
// operator's token, and, for the checks, its registry, ClickHouse and the
// controller of its embedded cluster, the one node the scenario never
// stops.
func attach(sys *system.System) (*Proc, error) {
	b := sys.EmbeddedBroker()
	if b == nil {
		return nil, errors.New("the system runs no embedded broker")
	}
	issuer := sys.Issuer()
	if issuer == nil {
		return nil, errors.New("the system has no embedded token issuer")
	}
	token, err := issuer.Issue(auth.Principal{Role: auth.Operator, Subject: "chaos"}, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	p := &Proc{Name: "in-process", HTTP: sys.HTTPAddr(), Kafka: controllerAddr(sys.Brokers(), b), Reg: strings.TrimPrefix(sys.RegistryURL(), "http://"),
		CH: sys.ClickHouseAddr(), Token: token}
	brokerCreds.Store(p.Kafka, sys.CredentialsDir())
	return p, nil
}

// controllerAddr is the address of b's controller among the addresses
// the system started with (node i listens on the i-th).
func controllerAddr(addrs []string, b *broker.Broker) string {
	if n := int(b.Controller()); n < len(addrs) {
		return addrs[n]
	}
	return addrs[0]
}

// settled are the order statuses the system leaves as they are: final,
// or ready for the customer to pay.
var settled = map[string]bool{"completed": true, "rejected": true, "canceled": true, "ready": true}

// settleOrders waits up to within for every order in orders to reach a
// settled status, reading each through p's API and updating orders, and
// returns those that did not.
func settleOrders(ctx context.Context, p *Proc, orders map[string]string, within time.Duration) []string {
	deadline := time.Now().Add(within)
	for {
		var left []string
		for id, status := range orders {
			if settled[status] {
				continue
			}
			if now := orderStatus(ctx, p, id); now != "" {
				orders[id] = now
			}
			if !settled[orders[id]] {
				left = append(left, id)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return left
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// orderStatus is an order's status as p's API serves it, "" when it
// cannot be read.
func orderStatus(ctx context.Context, p *Proc, id string) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.API()+"/api/ordering/"+id, nil)
	authorize(req, p.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return ""
	}
	return out.Status
}
