package bench

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A stage whose completions stop short of what it produced is loss, said
// by the stage itself, whatever runs it.
func TestAStageThatDoesNotDrainIsLoss(t *testing.T) {
	var done atomic.Int64
	st := stage{
		name: "aggregate", duration: 50 * time.Millisecond, backlog: 1 << 20, poll: 5 * time.Millisecond,
		drain: 50 * time.Millisecond, out: io.Discard, completes: "commands have a result",
		produce: func(context.Context) {},
		flush:   func(context.Context) error { return nil },
		// 256 complete, then nothing more.
		complete: func(context.Context) (int64, error) { return min(done.Add(1), 256), nil },
	}
	res, err := st.run(context.Background())
	if !errors.Is(err, errLoss) {
		t.Fatalf("a stage that completed %d of %d: err %v, want errLoss", res.done, res.produced, err)
	}
	if !strings.Contains(err.Error(), "commands have a result after the drain") {
		t.Errorf("the error does not say what did not complete: %v", err)
	}

	var all atomic.Int64 // each poll completes more than was ever produced
	st.complete = func(context.Context) (int64, error) { return all.Add(1 << 30), nil }
	if _, err := st.run(context.Background()); err != nil {
		t.Errorf("a stage that completed everything: %v", err)
	}
}
