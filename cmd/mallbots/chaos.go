package main

import (
	"fmt"
	"os"
	"time"

	"github.com/mallbots/mallbots/tools/chaos"
)

type chaosCmd struct {
	Scenario string        `help:"Which fault to inject: ${enum}." enum:"kill9,two-instances,three-instances,broker,broker-sync,clickhouse,poison,duplicates,tamper,brokers" required:""`
	Rounds   int           `help:"How many times to inject it, where the scenario repeats (kill9)." default:"20"`
	Workers  int           `help:"Workers sending acknowledged commands." default:"6"`
	Shoppers int           `help:"Background shoppers running the whole mall (0: none)." default:"100"`
	Outage   time.Duration `help:"brokers: how long one broker stays unreachable in each round." default:"10s"`
	Dir      string        `help:"Where the processes keep their data (default: a temporary directory)."`
	Seed     uint64        `help:"Random seed (0: from the clock)."`
	// HotStandby is for three-instances: compare handover with and without.
	HotStandby bool `name:"hot-standby" help:"three-instances: run the processor instances with --hot-standby."`
}

func (c *chaosCmd) Run() error {
	ctx, stop := interruptible()
	defer stop()
	cfg := chaos.Config{Rounds: c.Rounds, Workers: c.Workers, Shoppers: c.Shoppers, Dir: c.Dir, Seed: c.Seed, HotStandby: c.HotStandby, Outage: c.Outage, Out: os.Stdout}
	fmt.Printf("chaos: %s\n", c.Scenario)
	r, err := chaos.Run(ctx, c.Scenario, cfg)
	if err != nil {
		return err
	}
	r.Print(os.Stdout)
	if !r.OK() {
		return fmt.Errorf("%s: failed (lost, doubled or a problem listed above); the processes' data and logs are in %s", c.Scenario, r.Dir)
	}
	if c.Dir == "" {
		_ = os.RemoveAll(r.Dir)
	}
	return nil
}
