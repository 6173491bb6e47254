package chaos_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/tools/chaos"
)

// -chaos runs every fault scenario with the rounds docs/reliability.md
// reports; without it, a shorter set runs (one kill -9 pair, poison,
// duplicates) so `go test ./...` stays quick.
var full = flag.Bool("chaos", false, "run every fault scenario at full length")

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "mallbots-chaos-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mallbots")
	build := exec.Command("go", "build", "-o", binary, "github.com/mallbots/mallbots/cmd/mallbots")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func scenario(t *testing.T, name string, cfg chaos.Config) {
	t.Helper()
	chtest.RequireBinary(t)
	var out bytes.Buffer
	cfg.Binary, cfg.Dir, cfg.Out = binary, t.TempDir(), &out
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	r, err := chaos.Run(ctx, name, cfg)
	r.Print(&out)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("%s: something was lost or doubled", name)
	}
}

func TestKill9OfTheWholeProcess(t *testing.T) {
	rounds := 2
	if *full {
		rounds = 20
	}
	scenario(t, "kill9", chaos.Config{Rounds: rounds, Shoppers: 30})
}

func TestPoisonInput(t *testing.T) { scenario(t, "poison", chaos.Config{Shoppers: 10}) }

func TestDuplicatedAndReorderedDelivery(t *testing.T) {
	scenario(t, "duplicates", chaos.Config{Shoppers: 30})
}

func TestKill9OfOneOfTwoProcessorInstances(t *testing.T) {
	if !*full {
		t.Skip("part of the full fault run: go test ./tools/chaos -chaos")
	}
	scenario(t, "two-instances", chaos.Config{Rounds: 2, Shoppers: 50})
}

func TestBrokerRestart(t *testing.T) {
	if !*full {
		t.Skip("part of the full fault run: go test ./tools/chaos -chaos")
	}
	scenario(t, "broker", chaos.Config{Rounds: 3, Shoppers: 50})
	scenario(t, "broker-sync", chaos.Config{Rounds: 3, Shoppers: 50})
}

func TestClickHouseOutage(t *testing.T) {
	if !*full {
		t.Skip("part of the full fault run: go test ./tools/chaos -chaos")
	}
	scenario(t, "clickhouse", chaos.Config{Rounds: 1, Shoppers: 50})
}

func TestKill9OfOneOfThreeProcessorInstances(t *testing.T) {
	if !*full {
		t.Skip("part of the full fault run: go test ./tools/chaos -chaos")
	}
	scenario(t, "three-instances", chaos.Config{Rounds: 2, Shoppers: 100})
}
