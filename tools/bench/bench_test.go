package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
)

// The harness runs on tiny sizes so that it cannot rot: every phase but the
// child-process one (it needs the mallbots binary), every figure present,
// every zero-loss check passing. It asserts nothing about timing.
func TestTheHarnessRunsEveryPhaseOnTinySizes(t *testing.T) {
	chtest.RequireBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	profiles := t.TempDir()
	rep, err := Run(ctx, Config{
		// The pipeline's rate is counted after its warm-up: in 2 s on a busy
		// machine (the whole suite running beside it) the projector's first
		// batch could land after the window, leaving no rate at all.
		DataDir: t.TempDir(), Duration: 5 * time.Second, StageDuration: time.Second, LatencyDuration: time.Second,
		Rates: []int{200, 1000}, Keys: 300, Backlog: 2000, ChainPairs: 2, Progress: &progress,
		HeapProfile: filepath.Join(profiles, "heap"),
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	// The paced-lag probe copies a batch of event rows into a table of its
	// own: it must keep up with the events table's columns.
	for _, w := range rep.Warnings {
		if strings.HasPrefix(w, "insert probe") {
			t.Errorf("the paced-lag probe failed: %s", w)
		}
	}
	if len(rep.Checks) != 4 {
		t.Errorf("want the 4 zero-loss checks, got %d", len(rep.Checks))
	}
	for _, name := range []string{
		"baseline1.throughput", "baseline2.throughput", "baseline.goka.throughput", "aggregate.registrations", "aggregate.throughput",
		"aggregate.throughput.goka", "aggregate.heap.live", "pipeline.heap.live", "floor.throughput",
		"aggregate.unchained.throughput", "aggregate.chained.throughput",
		"latency.200.p50", "latency.200.p99", "latency.1000.p99.9", "recovery.cold", "recovery.warm",
		"pipeline.throughput", "projection.lag.p99",
		"aggregate.cpu_per_command", "aggregate.throughput.floor", "pipeline.throughput.aggregate", "pipeline.cpu_per_command",
	} {
		f, ok := rep.Figure(name)
		if !ok {
			t.Errorf("no figure %s", name)
			continue
		}
		if f.Value <= 0 {
			t.Errorf("figure %s is %v", name, f.Value)
		}
	}
	for _, stage := range []string{"aggregate", "pipeline"} {
		path := filepath.Join(profiles, "heap."+stage+".pprof")
		if b, err := os.ReadFile(path); err != nil || len(b) == 0 {
			t.Errorf("no heap profile of the %s stage's peak at %s: %v", stage, path, err)
		} else if zr, err := gzip.NewReader(bytes.NewReader(b)); err != nil {
			t.Errorf("the heap profile of the %s stage is not a gzipped profile: %v", stage, err)
		} else if raw, err := io.ReadAll(zr); err != nil || len(raw) == 0 {
			t.Errorf("the heap profile of the %s stage does not decompress: %d bytes, %v", stage, len(raw), err)
		}
	}
	var table bytes.Buffer
	rep.Print(&table)
	for _, want := range []string{"figure", "baseline", "ratio", "target", "met?", "pipeline.throughput", "check ok"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	var back Report
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &back); err != nil || len(back.Figures) != len(rep.Figures) {
		t.Fatalf("the JSON does not read back (%v): %s", err, b)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("progress:\n%s\ntable:\n%s", progress.String(), table.String())
	}
}

func TestSkippingAPhaseThatDoesNotExistIsRefusedWithTheOnesThatDo(t *testing.T) {
	cfg := Config{Skip: []string{"latency", "memroy"}}
	err := cfg.defaults()
	if err == nil {
		t.Fatal("a run skipping \"memroy\" was accepted: it would run the memory phase the user meant to skip")
	}
	for _, want := range []string{`skip "memroy": no such phase`, "baseline1, baseline2, stockgoka, floor, chain, latency, recovery, memory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if err := (&Config{Skip: SkippablePhases()}).defaults(); err != nil {
		t.Errorf("skipping every skippable phase was refused: %v", err)
	}
}
