package bench

import (
	"strings"
	"testing"
)

// The chain's figures are the medians of each variant's stages, the ratio
// is chained over unchained against 0.95, and the notes keep every stage's
// rate in the order it ran and each pair's ratio: a median alone would
// hide a spread as wide as the difference measured.
func TestTheChainFiguresAreMediansWithEveryStageInTheNotes(t *testing.T) {
	// Ran as: unchained, chained, chained, unchained, unchained, chained.
	pairs := [][2]chainRun{
		{{rate: 50_000, perCPU: 30_000}, {rate: 48_000, perCPU: 29_000}},
		{{rate: 40_000, perCPU: 31_000, event: 250, state: 400}, {rate: 30_000, perCPU: 28_000}},
		{{rate: 60_000, perCPU: 32_000}, {rate: 57_000, perCPU: 31_000, event: 318, state: 476}},
	}
	figs := chainFigures(pairs)
	if len(figs) != 4 {
		t.Fatalf("%d figures, want the unchained and the chained ones, by rate and by CPU", len(figs))
	}
	off, on := figs[0], figs[1]
	if off.Name != "aggregate.unchained.throughput" || off.Value != 50_000 {
		t.Errorf("unchained: %s = %v, want aggregate.unchained.throughput = 50,000 (the median)", off.Name, off.Value)
	}
	if on.Name != "aggregate.chained.throughput" || on.Value != 48_000 || on.Baseline != 50_000 || on.Ratio != 0.96 {
		t.Errorf("chained: %s = %v against %v, ratio %v; want 48,000 against 50,000, ratio 0.96", on.Name, on.Value, on.Baseline, on.Ratio)
	}
	if on.Met == nil || !*on.Met || on.Target != "≥ 0.95 × unchained" {
		t.Errorf("chained: target %q met %v, want ≥ 0.95 × unchained met", on.Target, on.Met)
	}
	// The last stage of each variant is the third pair's for the chained
	// stages and the second pair's for the unchained ones.
	for _, want := range []string{"50,000 · 40,000 · 60,000 cmd/s", "events 0 bytes, snapshots 0"} {
		if !strings.Contains(off.Note, want) {
			t.Errorf("the unchained note %q lacks %q", off.Note, want)
		}
	}
	for _, want := range []string{"48,000 · 30,000 · 57,000 cmd/s", "events 318 bytes, snapshots 476", "0.96 · 0.75 · 0.95"} {
		if !strings.Contains(on.Note, want) {
			t.Errorf("the chained note %q lacks %q", on.Note, want)
		}
	}

	offCPU, onCPU := figs[2], figs[3]
	if offCPU.Name != "aggregate.unchained.per_cpu_second" || offCPU.Value != 31_000 || onCPU.Name != "aggregate.chained.per_cpu_second" ||
		onCPU.Value != 29_000 || onCPU.Baseline != 31_000 {
		t.Errorf("per CPU-second: %s = %v, %s = %v against %v; want 31,000 and 29,000 against 31,000",
			offCPU.Name, offCPU.Value, onCPU.Name, onCPU.Value, onCPU.Baseline)
	}
	if !strings.Contains(onCPU.Note, "29,000 · 28,000 · 31,000 cmd/CPU-s") || !strings.Contains(onCPU.Note, "0.97 · 0.90 · 0.97") {
		t.Errorf("the chained CPU note %q lacks its stages or its pairs", onCPU.Note)
	}

	slower := chainFigures([][2]chainRun{{{rate: 100}, {rate: 90}}, {{rate: 100}, {rate: 96}}})
	if got := slower[1]; got.Value != 93 || got.Met == nil || *got.Met {
		t.Errorf("two pairs at 0.90 and 0.96: chained %v (want the mean of the middle two, 93), met %v (want no)", got.Value, got.Met)
	}
}

// The pairs alternate their order, so that over an even number of pairs a
// steady drift (the windows of recent commands growing through the run)
// weighs on both variants alike.
func TestThePairsAlternateSoAnEvenNumberBalancesADrift(t *testing.T) {
	var pos [2]int // sum of the stage positions of unchained, chained
	at := 0
	for i := range 4 {
		for _, chained := range chainOrder(i) {
			pos[b2i(chained)] += at
			at++
		}
	}
	if pos[0] != pos[1] {
		t.Fatalf("over 4 pairs the unchained stages sit at positions summing to %d, the chained at %d: a linear drift favours one", pos[0], pos[1])
	}
}
