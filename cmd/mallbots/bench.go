package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/mallbots/mallbots/tools/bench"
)

type benchCmd struct {
	Duration        time.Duration `help:"How long the pipeline (commands → ClickHouse) is loaded; the target is stated for 5m." default:"60s"`
	StageDuration   time.Duration `help:"How long each other throughput stage (baselines 1 and 2, the stock goka counter, the aggregate alone) is loaded." default:"15s"`
	LatencyDuration time.Duration `help:"How long each offered rate of the latency figures is held." default:"10s"`
	Rates           []int         `help:"Offered rates (commands/s) of the latency figures." default:"1000,10000"`
	ChainPairs      int           `help:"Pairs of aggregate stages, one without the hash chain and one with it, that the chain phase runs (their order alternates, so an even number balances a drift)." default:"4"`
	Keys            int           `help:"Aggregates registered (recovery and memory figures; the other stages update them); the targets are stated for 1000000." default:"100000"`
	Backlog         int64         `help:"Records produced but not yet processed at most, during a throughput stage." default:"50000"`
	Components      string        `help:"What the pipeline instance runs (see mallbots run --components)." default:"customers,projection.events,projection.state"`
	DataDir         string        `help:"Where the run keeps its broker, ClickHouse and stores (default: a temporary directory, removed afterwards)."`
	JSON            string        `name:"json" help:"Also write the report as JSON to this file." placeholder:"FILE"`
	Skip            []string      `help:"Phases to leave out, to iterate on one figure: baseline1, baseline2, stockgoka, floor, chain, latency, recovery, memory." placeholder:"PHASE"`
	CPUProfile      string        `name:"cpuprofile" help:"Write a CPU profile of the whole run (the system runs in this process) to this file." placeholder:"FILE"`
	HeapProfile     string        `name:"heapprofile" help:"Write heap profiles at the peaks of the aggregate and pipeline stages to PREFIX.aggregate.pprof and PREFIX.pipeline.pprof." placeholder:"PREFIX"`
}

// Run measures and prints the table. Missed targets never fail it (the
// figures drift on a shared machine); loss and errors do.
func (b *benchCmd) Run(log *slog.Logger) error {
	ctx, stop := interruptible()
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if b.CPUProfile != "" {
		f, err := os.Create(b.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// The system's own logs go to stderr from warnings up (--log-level
	// debug shows everything): the progress lines are the run's output.
	level := levelOf(log)
	if level == slog.LevelInfo {
		level = slog.LevelWarn
	}
	sysLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	rep, err := bench.Run(ctx, bench.Config{
		DataDir: b.DataDir, Duration: b.Duration, StageDuration: b.StageDuration, LatencyDuration: b.LatencyDuration,
		Rates: b.Rates, ChainPairs: b.ChainPairs, Keys: b.Keys, Backlog: b.Backlog, Exe: exe, Components: strings.Split(b.Components, ","),
		Skip: b.Skip, HeapProfile: b.HeapProfile, Progress: os.Stdout, Log: sysLog,
	})
	if rep != nil {
		rep.Print(os.Stdout)
		if b.JSON != "" {
			if werr := rep.WriteJSON(b.JSON); werr != nil {
				return errors.Join(err, werr)
			}
			fmt.Printf("JSON written to %s\n", b.JSON)
		}
	}
	if err != nil {
		return err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d zero-loss checks failed (see above)", len(failed))
	}
	return nil
}

func levelOf(log *slog.Logger) slog.Level {
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn} {
		if log.Enabled(context.Background(), l) {
			return l
		}
	}
	return slog.LevelError
}
