package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/mallbots/mallbots/tools/loadgen"
)

// Config configures a scenario run.
type Config struct {
	// Binary is the mallbots binary to run (default: this executable).
	Binary string
	// Dir holds the processes' data dirs (default: a temporary directory,
	// removed afterwards when the run passed).
	Dir string
	// Rounds is how many faults to inject where a scenario repeats one.
	Rounds int
	// Workers drive acknowledged commands (default 6).
	Workers int
	// Shoppers run the whole mall in the background (0: none).
	Shoppers int
	// HotStandby runs the processor instances with --hot-standby
	// (three-instances).
	HotStandby bool
	// Outage is how long the brokers scenario keeps a broker unreachable
	// (default 10 s).
	Outage time.Duration
	Out    io.Writer
	Seed   uint64
}

func (c *Config) defaults() error {
	if c.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		c.Binary = exe
	}
	if c.Workers == 0 {
		c.Workers = 6
	}
	if c.Outage == 0 {
		c.Outage = 10 * time.Second
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Dir == "" {
		dir, err := os.MkdirTemp("", "mallbots-chaos-")
		if err != nil {
			return err
		}
		c.Dir = dir
	}
	return nil
}

func (c *Config) logf(format string, args ...any) {
	fmt.Fprintf(c.Out, "  "+format+"\n", args...)
}

// load runs the ledger driver and, if asked, background shoppers against
// the API of p until stop is called; stop returns once they have stopped.
func load(cfg *Config, api func() string, token string) (ledger *Ledger, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ledger = &Ledger{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&Driver{API: api, Token: token, Workers: cfg.Workers, Ledger: ledger}).Run(ctx)
	}()
	if cfg.Shoppers > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Shoppers are background load: the faults make some of them
			// fail, which the ledger's checks do not depend on; their
			// orders by final status and rejections by reason are
			// reported.
			summary, err := loadgen.Run(ctx, loadgen.Config{API: api(), Token: token, Shoppers: cfg.Shoppers, Rate: 5, Concurrency: 8, OrderTimeout: 20 * time.Second})
			ledger.setShoppers(summary, err)
		}()
	}
	return ledger, func() { cancel(); wg.Wait() }
}

// startProc prepares a process under cfg's binary and directory (NewProc)
// and starts it, waiting up to two minutes until it is ready. The caller
// stops it; one that did not become ready is stopped here, since the
// caller gets no process to stop.
func startProc(ctx context.Context, cfg *Config, name string, args ...string) (*Proc, error) {
	p, err := NewProc(name, cfg.Binary, cfg.Dir, args...)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx, 2*time.Minute); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// startSingle sets up a scenario that runs one whole `mallbots` process:
// it applies cfg's defaults, names the scenario in r, notes when it
// started and starts the process. On an error r is what the scenario
// returns (the zero Report when the defaults failed); otherwise the caller
// stops p.
func startSingle(ctx context.Context, cfg *Config, scenario string) (r Report, start time.Time, p *Proc, err error) {
	if err := cfg.defaults(); err != nil {
		return Report{}, time.Time{}, nil, err
	}
	r = Report{Scenario: scenario}
	start = time.Now()
	p, err = startProc(ctx, cfg, "mallbots")
	return r, start, p, err
}

// usingInfraOf are the flags that make a process use the embedded broker,
// registry and managed ClickHouse of p instead of its own.
func usingInfraOf(p *Proc) []string {
	return []string{"--brokers", p.Kafka, "--schema-registry", "http://" + p.Reg, "--clickhouse", p.CH,
		"--kafka-credentials-dir", p.credentialsDir()}
}

// pause waits a random time between min and max, or until ctx ends.
func pause(ctx context.Context, rng *rand.Rand, min, max time.Duration) {
	d := min + time.Duration(rng.Int64N(int64(max-min)+1))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// KillLoop kills the whole process with SIGKILL at random moments under
// load, Rounds times, restarting it each time on the same data dir.
func KillLoop(ctx context.Context, cfg Config) (Report, error) {
	r, start, p, err := startSingle(ctx, &cfg, fmt.Sprintf("kill -9 of the whole process, %d times, under load", cfg.Rounds))
	if err != nil {
		return r, err
	}
	defer p.Stop()
	ledger, stop := load(&cfg, p.API, p.Token)
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	for i := 1; i <= cfg.Rounds && ctx.Err() == nil; i++ {
		pause(ctx, rng, 1*time.Second, 4*time.Second)
		before := len(ledger.Acked())
		if err := p.Kill9(); err != nil {
			stop()
			return r, err
		}
		r.Faults++
		t0 := time.Now()
		if err := p.Start(ctx, 2*time.Minute); err != nil {
			stop()
			return r, err
		}
		cfg.logf("kill %d/%d after %d acknowledged commands; ready again in %s", i, cfg.Rounds, before, time.Since(t0).Round(100*time.Millisecond))
	}
	pause(ctx, rng, 2*time.Second, 2*time.Second)
	stop()
	err = Check(ctx, &r, p, ledger)
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

// Run runs a scenario by name.
func Run(ctx context.Context, name string, cfg Config) (Report, error) {
	scenarios := map[string]func(context.Context, Config) (Report, error){
		"kill9":           KillLoop,
		"two-instances":   TwoInstances,
		"three-instances": ThreeInstances,
		"broker":          BrokerRestart(false),
		"broker-sync":     BrokerRestart(true),
		"clickhouse":      ClickHouseOutage,
		"poison":          Poison,
		"duplicates":      Duplicates,
		"tamper":          Tamper,
		"brokers":         Brokers,
	}
	run, ok := scenarios[name]
	if !ok {
		return Report{}, fmt.Errorf("no scenario %q", name)
	}
	return run(ctx, cfg)
}
