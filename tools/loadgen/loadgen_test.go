package loadgen

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Without --concurrency, the bound on shoppers in flight is sized from the
// rate, so that --rate 50 is reached while each shopper takes up to
// ShopperSeconds; 64 at least.
func TestTheDefaultConcurrencyLetsTheRateBeReached(t *testing.T) {
	for rate, want := range map[float64]int{50: 50 * ShopperSeconds, 20: 20 * ShopperSeconds, 1: 64, 0: 20 * ShopperSeconds} {
		c := Config{Rate: rate}
		c.defaults()
		if c.Concurrency != want {
			t.Errorf("Config{Rate: %g} defaults to Concurrency %d, want %d", rate, c.Concurrency, want)
		}
	}
	c := Config{Rate: 50, Concurrency: 8}
	c.defaults()
	if c.Concurrency != 8 {
		t.Errorf("an explicit Concurrency 8 became %d", c.Concurrency)
	}
}

// capSignal is the progress writer of pace in the tests below: its first
// write (the cap's notice) closes hit.
type capSignal struct {
	buf bytes.Buffer
	hit chan struct{}
}

func (w *capSignal) Write(p []byte) (int, error) {
	if w.buf.Len() == 0 {
		close(w.hit)
	}
	return w.buf.Write(p)
}

// When the bound on shoppers in flight holds a start back, pace says so,
// once, naming the bound and the rate it cannot then reach; the start
// waits for a shopper to end.
func TestACapOnShoppersInFlightIsSaidOnce(t *testing.T) {
	w := &capSignal{hit: make(chan struct{})}
	started := 0
	// Every shopper stays in flight until the cap has been said: the
	// first two fill the bound of 2, so the third start is held back.
	pace(context.Background(), 4, 1000, 2, w, func(done func()) {
		started++
		go func() { <-w.hit; done() }()
	})
	if started != 4 {
		t.Fatalf("pace started %d shoppers, want 4", started)
	}
	if got := w.buf.String(); strings.Count(got, "concurrency cap: 2 shoppers in flight") != 1 ||
		!strings.Contains(got, "fewer than 1000/s start (raise --concurrency)") {
		t.Errorf("pace said %q; want the cap of 2 said once, with the rate it holds back", got)
	}
}

// Under the bound, pace starts shoppers at the rate asked, and says
// nothing.
func TestShoppersStartAtTheRateAsked(t *testing.T) {
	var out bytes.Buffer
	started := 0
	took := pace(context.Background(), 20, 200, 64, &out, func(done func()) { started++; done() })
	if started != 20 || out.Len() != 0 {
		t.Fatalf("pace started %d shoppers and said %q; want 20 and nothing", started, out.String())
	}
	if want := 95 * time.Millisecond; took < want {
		t.Errorf("20 shoppers at 200/s started in %s, want about 100ms: the rate was exceeded", took)
	}
}
