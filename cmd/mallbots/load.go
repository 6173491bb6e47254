package main

import (
	"fmt"
	"os"
	"time"

	"github.com/mallbots/mallbots/tools/loadgen"
)

type loadCmd struct {
	API          string        `help:"Base URL of the HTTP API." default:"http://127.0.0.1:8080" env:"MALLBOTS_API"`
	Shoppers     int           `help:"How many shoppers to run." default:"100"`
	Rate         float64       `help:"Shoppers started per second." default:"20"`
	Concurrency  int           `help:"Shoppers in flight at most (default: --rate × 10 s, at least 64, so that the rate is reached while each shopper takes up to 10 s; a lower bound caps the rate, and the run says so)."`
	Disabled     float64       `help:"Share of shoppers disabled before checkout (order rejected: customer is not authorized)." default:"0.05"`
	Underpay     float64       `help:"Share of shoppers authorizing less than their total (order rejected: payment cannot be confirmed)." default:"0.05"`
	Cancel       float64       `help:"Share of shoppers canceling their approved order." default:"0.05"`
	Remove       float64       `help:"Share of shoppers removing an item before checkout." default:"0.10"`
	OrderTimeout time.Duration `help:"How long a shopper follows its order." default:"2m"`
	Seed         uint64        `help:"Random seed (0: from the clock)."`
	Clickhouse   string        `help:"ClickHouse native address to compare the summary with (empty: skip)." default:"127.0.0.1:9000" env:"MALLBOTS_CLICKHOUSE_COMPARE"`
	DataDir      string        `help:"The data directory of the mallbots run whose key signs the load's operator token, unless MALLBOTS_API_TOKEN (or _FILE) gives one." default:".mallbots" env:"MALLBOTS_DATA_DIR"`
}

// The load that the README and the run's "Where to look" both suggest;
// TestTheReadmeSuggestsTheLoadThatTheRunPrints keeps them one.
const suggestedLoad = "./bin/mallbots load --shoppers 1000 --rate 50"

// loadCommand is suggestedLoad aimed at a run's API, ClickHouse and data
// directory: the flags that differ from load's defaults are added.
func loadCommand(httpAddr, clickhouseAddr, dataDir string) string {
	cmd := suggestedLoad
	if httpAddr != "127.0.0.1:8080" {
		cmd += " --api http://" + httpAddr
	}
	if clickhouseAddr != "127.0.0.1:9000" {
		cmd += " --clickhouse " + clickhouseAddr
	}
	return cmd + dataDirFlag(dataDir)
}

// dataDirFlag is " --data-dir DIR" unless dir is the default.
func dataDirFlag(dir string) string {
	if dir == ".mallbots" || dir == "./.mallbots" {
		return ""
	}
	return " --data-dir " + dir
}

func (l *loadCmd) Run() error {
	ctx, stop := interruptible()
	defer stop()
	token, err := apiToken(l.DataDir)
	if err != nil {
		return err
	}
	s, err := loadgen.Run(ctx, loadgen.Config{
		API: l.API, Token: token, Shoppers: l.Shoppers, Rate: l.Rate, Concurrency: l.Concurrency,
		DisabledShare: l.Disabled, UnderpayShare: l.Underpay, CancelShare: l.Cancel, RemoveShare: l.Remove,
		OrderTimeout: l.OrderTimeout, Seed: l.Seed, Progress: os.Stdout,
	})
	if err != nil && s.Shoppers == 0 {
		return err
	}
	s.Print(os.Stdout)
	if l.Clickhouse != "" {
		same, err := loadgen.Compare(ctx, os.Stdout, l.Clickhouse, s, 30*time.Second)
		if err != nil {
			return err
		}
		if !same {
			return fmt.Errorf("the summary and ClickHouse disagree")
		}
		fmt.Println("ClickHouse agrees with the summary.")
	}
	if s.Errors > 0 || s.Stuck > 0 {
		return fmt.Errorf("%d shoppers failed, %d orders did not finish", s.Errors, s.Stuck)
	}
	return err
}
