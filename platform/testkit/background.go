package testkit

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Background runs run in a goroutine on a context that the returned stop
// cancels. stop then waits for run to return and fails t if it returned an
// error or took more than 30s; it acts once, and at the end of the test at
// the latest, so nothing a test starts outlives it. what names the runner
// in a failure.
func Background(t testing.TB, what string, run func(ctx context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s stopped with %v", what, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop 30s after its context was cancelled", what)
		}
	})
	t.Cleanup(stop)
	return stop
}
