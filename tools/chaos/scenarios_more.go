package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processorGroups are the component names of every goka group: an
// instance that only processes.
const processorGroups = "stores,products,customers,baskets,orders,payments,invoices,shoppinglists,bots,saga.createorder,policies,notifications"

// TwoInstances runs the processors in two instances sharing the partitions
// of every group, and kills one of them with SIGKILL under load: the other
// takes its partitions over. Rounds > 1 restarts and kills it again.
func TwoInstances(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.defaults(); err != nil {
		return Report{}, err
	}
	r := Report{Scenario: "kill -9 of one of two processor instances sharing partitions, under load"}
	start := time.Now()
	a, err := startProc(ctx, &cfg, "a")
	if err != nil {
		return r, err
	}
	defer a.Stop()
	b, err := startProc(ctx, &cfg, "b", append(usingInfraOf(a), "--components", processorGroups)...)
	if err != nil {
		return r, err
	}
	defer b.Stop()
	ledger, stop := load(&cfg, a.API, a.Token)
	rng := rand.New(rand.NewPCG(cfg.Seed, 2))
	rounds := max(cfg.Rounds, 1)
	for i := 1; i <= rounds && ctx.Err() == nil; i++ {
		pause(ctx, rng, 4*time.Second, 8*time.Second)
		acked := len(ledger.Acked())
		if err := b.Kill9(); err != nil {
			stop()
			return r, err
		}
		r.Faults++
		cfg.logf("killed instance b (round %d) after %d acknowledged commands; a takes its partitions", i, acked)
		pause(ctx, rng, 12*time.Second, 15*time.Second) // past the session timeout: a rebalances
		if i < rounds {
			if err := b.Start(ctx, 2*time.Minute); err != nil {
				stop()
				return r, err
			}
			cfg.logf("instance b is back and shares the partitions again")
		}
	}
	pause(ctx, rng, 3*time.Second, 3*time.Second)
	r.Extra = append(r.Extra, fmt.Sprintf("acknowledged by the end: %d", len(ledger.Acked())))
	stop()
	err = Check(ctx, &r, a, ledger)
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

// BrokerRestart runs the embedded broker (with the registry and
// ClickHouse) in a process of its own and kills it with SIGKILL under load,
// restarting it on the same data dir; the application keeps running and
// reconnects. sync runs the broker with --sync-writes.
func BrokerRestart(sync bool) func(context.Context, Config) (Report, error) {
	return func(ctx context.Context, cfg Config) (Report, error) {
		if err := cfg.defaults(); err != nil {
			return Report{}, err
		}
		mode := "page cache"
		args := []string{"--components", "none"}
		if sync {
			mode, args = "--sync-writes", append(args, "--sync-writes")
		}
		r := Report{Scenario: "broker kill -9 and restart under load (" + mode + ")"}
		start := time.Now()
		broker, err := startProc(ctx, &cfg, "broker", args...)
		if err != nil {
			return r, err
		}
		defer broker.Stop()
		app, err := startProc(ctx, &cfg, "app", usingInfraOf(broker)...)
		if err != nil {
			return r, err
		}
		defer app.Stop()
		ledger, stop := load(&cfg, app.API, app.Token)
		rng := rand.New(rand.NewPCG(cfg.Seed, 3))
		for i := 1; i <= max(cfg.Rounds, 1) && ctx.Err() == nil; i++ {
			pause(ctx, rng, 3*time.Second, 6*time.Second)
			if err := broker.Kill9(); err != nil {
				stop()
				return r, err
			}
			r.Faults++
			pause(ctx, rng, 2*time.Second, 4*time.Second)
			if err := broker.Start(ctx, 2*time.Minute); err != nil {
				stop()
				return r, err
			}
			cfg.logf("broker killed and restarted (round %d) at %d acknowledged commands", i, len(ledger.Acked()))
			if err := waitReady(ctx, app, time.Minute); err != nil {
				stop()
				return r, fmt.Errorf("the application did not recover from the broker restart: %w\n%s", err, app.Tail(30))
			}
			if err := ackedMore(ctx, ledger, 50, time.Minute); err != nil {
				stop()
				return r, fmt.Errorf("no commands acknowledged after the broker restart: %w\n%s", err, app.Tail(30))
			}
		}
		pause(ctx, rng, 3*time.Second, 3*time.Second)
		stop()
		// The checks read through the broker process and the app's API.
		check := *broker
		check.HTTP = app.HTTP
		err = Check(ctx, &r, &check, ledger)
		r.Duration, r.Dir = time.Since(start), cfg.Dir
		return r, err
	}
}

// ClickHouseOutage freezes the managed ClickHouse server (SIGSTOP) for 30
// seconds under load and lets it go on (SIGCONT): the projector waits,
// retries, keeps its place and catches up.
func ClickHouseOutage(ctx context.Context, cfg Config) (Report, error) {
	r, start, p, err := startSingle(ctx, &cfg, "ClickHouse unavailable for 30 s under load")
	if err != nil {
		return r, err
	}
	defer p.Stop()
	ch, err := childPID(p.PID(), "clickhouse")
	if err != nil {
		return r, err
	}
	ledger, stop := load(&cfg, p.API, p.Token)
	rng := rand.New(rand.NewPCG(cfg.Seed, 4))
	for i := 1; i <= max(cfg.Rounds, 1) && ctx.Err() == nil; i++ {
		pause(ctx, rng, 3*time.Second, 5*time.Second)
		if err := syscall.Kill(ch, syscall.SIGSTOP); err != nil {
			stop()
			return r, err
		}
		r.Faults++
		cfg.logf("ClickHouse (pid %d) stopped at %d acknowledged commands", ch, len(ledger.Acked()))
		pause(ctx, rng, 30*time.Second, 30*time.Second)
		if err := syscall.Kill(ch, syscall.SIGCONT); err != nil {
			stop()
			return r, err
		}
		cfg.logf("ClickHouse continued at %d acknowledged commands", len(ledger.Acked()))
	}
	pause(ctx, rng, 3*time.Second, 3*time.Second)
	stop()
	err = Check(ctx, &r, p, ledger)
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

func waitReady(ctx context.Context, p *Proc, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.API()+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s", p.Name, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// childPID finds the child of pid whose command name contains name.
func childPID(pid int, name string) (int, error) {
	out, err := exec.Command("pgrep", "-P", strconv.Itoa(pid), name).Output()
	if err != nil {
		return 0, fmt.Errorf("find the %s child of %d: %w", name, pid, err)
	}
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		return 0, fmt.Errorf("no %s child of %d", name, pid)
	}
	return strconv.Atoi(fields[0])
}

// ackedMore waits until n more commands have been acknowledged: the system
// is processing again.
func ackedMore(ctx context.Context, ledger *Ledger, n int, within time.Duration) error {
	from := len(ledger.Acked())
	deadline := time.Now().Add(within)
	for len(ledger.Acked()) < from+n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d acknowledged in %s, want %d", len(ledger.Acked())-from, within, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
