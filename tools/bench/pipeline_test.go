package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A pipeline window too short to settle (a few seconds at a million
// aggregates) is reported as such, and the run goes on to the zero-loss
// checks instead of ending there.
func TestAPipelineWindowTooShortToSettleLeavesThePacedLagUnmeasured(t *testing.T) {
	var out bytes.Buffer
	e := &env{cfg: Config{Duration: 3 * time.Second}, out: &progress{w: &out}, report: &Report{}}
	if err := e.pacedLag(context.Background(), 0, 3*time.Second); err != nil {
		t.Fatalf("paced lag at a rate of 0: %v, want it left unmeasured", err)
	}
	if !strings.Contains(out.String(), "not measured") || !strings.Contains(out.String(), "--duration 3s") {
		t.Fatalf("progress does not say why the lag was not measured: %q", out.String())
	}
	if _, ok := e.report.Figure("projection.lag.p99"); ok {
		t.Fatal("a lag figure was reported without a measurement")
	}
}
