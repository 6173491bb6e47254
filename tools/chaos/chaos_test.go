package chaos_test

import (
	"bytes"
	"context"
	"flag"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/tools/chaos"
)

// -chaos runs every fault scenario with the rounds docs/reliability.md
// reports; without it, a shorter set runs (one kill -9 pair, poison,
// duplicates, tamper) so `go test ./...` stays quick.
var full = flag.Bool("chaos", false, "run every fault scenario at full length")

var binary string

func TestMain(m *testing.M) { testkit.MainWithMallbots(m, &binary) }

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

// fullScenario runs a scenario that only the full fault run (-chaos) runs.
func fullScenario(t *testing.T, name string, cfg chaos.Config) {
	t.Helper()
	if !*full {
		t.Skip("part of the full fault run: go test ./tools/chaos -chaos")
	}
	scenario(t, name, cfg)
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
	fullScenario(t, "two-instances", chaos.Config{Rounds: 2, Shoppers: 50})
}

func TestBrokerRestart(t *testing.T) {
	fullScenario(t, "broker", chaos.Config{Rounds: 3, Shoppers: 50})
	fullScenario(t, "broker-sync", chaos.Config{Rounds: 3, Shoppers: 50})
}

func TestClickHouseOutage(t *testing.T) {
	fullScenario(t, "clickhouse", chaos.Config{Rounds: 1, Shoppers: 50})
}

func TestKill9OfOneOfThreeProcessorInstances(t *testing.T) {
	fullScenario(t, "three-instances", chaos.Config{Rounds: 2, Shoppers: 100})
}

func TestTamperingIsRefusedWithoutTheRightsAndReportedWithThem(t *testing.T) {
	chtest.RequireBinary(t)
	var out bytes.Buffer
	cfg := chaos.Config{Shoppers: 10, Binary: binary, Dir: t.TempDir(), Out: &out}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := chaos.Run(ctx, "tamper", cfg)
	r.Print(&out)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("tamper: %s", p)
	}
	if r.Lost+r.Doubled+r.DupRecords+r.Gaps+r.Conflicts+r.StateMismatch+r.CHMismatch+r.Verify != 0 {
		t.Error("tamper: something was lost or doubled before the admin tampered")
	}
}

func TestLeadershipMovesAndAnUnreachableBrokerOnThreeBrokers(t *testing.T) {
	fullScenario(t, "brokers", chaos.Config{Rounds: 3, Shoppers: 50})
}
