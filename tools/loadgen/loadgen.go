// Package loadgen simulates shoppers against the HTTP API, as real clients
// would: each registers, fills a basket from the mall's catalogue,
// authorizes a payment, checks out, and follows the order to its end (pays
// the invoice when it is ready). Some are disabled before checking out,
// some authorize too little, some remove an item, some cancel their
// approved order — so the rejections and compensations run too. It prints
// progress every second and a summary, and can compare the summary with
// ClickHouse.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mallbots/mallbots/processors/saga"
)

// Config says how much load to make.
type Config struct {
	// API is the HTTP API's base URL, e.g. http://127.0.0.1:8080.
	API string
	// Token is the bearer token every request carries (an operator's:
	// the shoppers are also disabled and checked on).
	Token string
	// Shoppers is how many shoppers to run; default 100.
	Shoppers int
	// Rate is how many shoppers start per second; default 20.
	Rate float64
	// Concurrency bounds the shoppers in flight; default enough for Rate:
	// Rate × ShopperSeconds, at least 64. A shopper is in flight from its
	// registration to its order's end, so a bound below Rate × that time
	// caps the start rate; Run then says so once.
	Concurrency int
	// The share of shoppers that are disabled before checkout, authorize
	// less than their total, cancel their approved order, and remove an
	// item before checkout. Defaults 0.05, 0.05, 0.05, 0.10.
	DisabledShare, UnderpayShare, CancelShare, RemoveShare float64
	// OrderTimeout bounds how long a shopper follows its order; default 2 min.
	OrderTimeout time.Duration
	// Stores and ProductsPerStore size the catalogue; defaults 5 and 4.
	Stores, ProductsPerStore int
	Seed                     uint64
	// Progress receives a line per second and the summary; nil for none.
	Progress io.Writer
}

// ShopperSeconds is how long the default Concurrency lets each shopper
// take (registration to the order's end) before the bound caps the start
// rate: several times what one takes on an idle mall, so that a loaded
// one still starts shoppers at the rate asked.
const ShopperSeconds = 10

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Shoppers, 100)
	def(&c.Stores, 5)
	def(&c.ProductsPerStore, 4)
	if c.Rate == 0 {
		c.Rate = 20
	}
	def(&c.Concurrency, max(64, int(math.Ceil(c.Rate*ShopperSeconds))))
	if c.OrderTimeout == 0 {
		c.OrderTimeout = 2 * time.Minute
	}
	if c.DisabledShare == 0 && c.UnderpayShare == 0 && c.CancelShare == 0 && c.RemoveShare == 0 {
		c.DisabledShare, c.UnderpayShare, c.CancelShare, c.RemoveShare = 0.05, 0.05, 0.05, 0.10
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// Summary is what a run did.
type Summary struct {
	Shoppers, Finished                 int64
	CommandsSent, Accepted, Rejected   int64
	Unknown                            int64
	OrdersCreated, Completed, Canceled int64
	OrdersRejected, Stuck              int64
	Errors                             int64
	Duration                           time.Duration
	// Rate and Concurrency are what the run was asked for (after the
	// defaults); StartedIn is how long starting every shopper took, so
	// Shoppers / StartedIn is the start rate reached.
	Rate        float64
	Concurrency int
	StartedIn   time.Duration
	// Orders are the ids of every order created, by final status.
	Orders map[string]string
	// Rejections counts the rejected orders by the reason the order gives.
	// The shoppers plan some (a short payment, a disabled customer); a
	// step that timed out ("no reply to …") is a fault's doing.
	Rejections map[string]int64
}

// TimedOut is the number of orders rejected because a saga step got no
// reply in time.
func (s Summary) TimedOut() int64 {
	var n int64
	for reason, c := range s.Rejections {
		if strings.HasPrefix(reason, saga.TimeoutReasonPrefix) {
			n += c
		}
	}
	return n
}

// RejectionsByReason lists the rejections, most frequent first.
func (s Summary) RejectionsByReason() string {
	reasons := make([]string, 0, len(s.Rejections))
	for r := range s.Rejections {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := reasons[i], reasons[j]
		if s.Rejections[a] != s.Rejections[b] {
			return s.Rejections[a] > s.Rejections[b]
		}
		return a < b
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %q", s.Rejections[r], r)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Print writes the summary.
func (s Summary) Print(w io.Writer) {
	secs := s.Duration.Seconds()
	rate := func(n int64) string { return fmt.Sprintf("%.1f/s", float64(n)/secs) }
	fmt.Fprintf(w, "\nSummary after %s:\n", s.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "  shoppers        %6d (%d finished, %d with errors)\n", s.Shoppers, s.Finished, s.Errors)
	if s.StartedIn > 0 {
		fmt.Fprintf(w, "    started at    %6.1f/s (asked %g/s, at most %d in flight)\n", float64(s.Shoppers)/s.StartedIn.Seconds(), s.Rate, s.Concurrency)
	}
	fmt.Fprintf(w, "  commands sent   %6d  %s\n", s.CommandsSent, rate(s.CommandsSent))
	fmt.Fprintf(w, "    accepted      %6d  %s\n", s.Accepted, rate(s.Accepted))
	fmt.Fprintf(w, "    rejected      %6d  %s\n", s.Rejected, rate(s.Rejected))
	fmt.Fprintf(w, "    no result yet %6d\n", s.Unknown)
	fmt.Fprintf(w, "  orders created  %6d  %s\n", s.OrdersCreated, rate(s.OrdersCreated))
	fmt.Fprintf(w, "    completed     %6d  %s\n", s.Completed, rate(s.Completed))
	fmt.Fprintf(w, "    rejected      %6d  by reason: %s\n", s.OrdersRejected, s.RejectionsByReason())
	fmt.Fprintf(w, "    canceled      %6d\n", s.Canceled)
	fmt.Fprintf(w, "    not finished  %6d\n", s.Stuck)
}

// Run runs the shoppers and returns the summary.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	cfg.defaults()
	c := &counters{}
	cl := &client{base: cfg.API, token: cfg.Token, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency}}, c: c}
	start := time.Now()
	mall, err := setupMall(ctx, cl, cfg)
	if err != nil {
		return Summary{}, fmt.Errorf("set up the mall: %w", err)
	}
	fmt.Fprintf(cfg.Progress, "mall ready: %d stores, %d products; starting %d shoppers at %g/s, at most %d in flight\n",
		cfg.Stores, len(mall), cfg.Shoppers, cfg.Rate, cfg.Concurrency)

	var (
		mu     sync.Mutex
		orders = map[string]string{}
		errs   int64
		wg     sync.WaitGroup
	)
	stopProgress := progress(ctx, cfg.Progress, c, start)
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed>>1|1))
	startedIn := pace(ctx, cfg.Shoppers, cfg.Rate, cfg.Concurrency, cfg.Progress, func(done func()) {
		plan := newPlan(rng, cfg, mall)
		wg.Add(1)
		c.started.Add(1)
		go func() {
			defer wg.Done()
			defer done()
			orderID, status, err := shop(ctx, cl, cfg, plan)
			c.finished.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if orderID != "" {
				orders[orderID] = status
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				errs++
				fmt.Fprintf(cfg.Progress, "shopper error: %v\n", err)
			}
		}()
	})
	wg.Wait()
	stopProgress()
	// A shopper that gave up (a timeout) recorded the status it last saw;
	// the order may have moved on since: take its status now.
	for id, status := range orders {
		if status != "completed" && status != "rejected" && status != "canceled" {
			if r, err := cl.read(context.Background(), "/api/ordering/"+id); err == nil && r.s("status") != "" {
				orders[id] = r.s("status")
			}
		}
	}
	s := Summary{
		Shoppers: c.started.Load(), Finished: c.finished.Load(), CommandsSent: c.sent.Load(), Accepted: c.accepted.Load(),
		Rejected: c.rejected.Load(), Unknown: c.unknown.Load(), Errors: errs, Duration: time.Since(start), Orders: orders,
		Rejections: map[string]int64{}, Rate: cfg.Rate, Concurrency: cfg.Concurrency, StartedIn: startedIn,
	}
	for id, status := range orders {
		s.OrdersCreated++
		switch status {
		case "completed":
			s.Completed++
		case "rejected":
			s.OrdersRejected++
			reason := "(the order could not be read)"
			if r, err := cl.read(context.Background(), "/api/ordering/"+id); err == nil {
				reason = r.s("rejectionReason")
			}
			s.Rejections[reason]++
		case "canceled":
			s.Canceled++
		default:
			s.Stuck++
		}
	}
	return s, ctx.Err()
}

// pace calls start n times, rate times a second, with at most concurrency
// started ones not yet done (each calls its done func when it ends). When
// that bound holds a start back, it says so on w, once: the start rate
// then falls below rate. It returns how long starting took, and stops
// early when ctx ends.
func pace(ctx context.Context, n int, rate float64, concurrency int, w io.Writer, start func(done func())) time.Duration {
	began := time.Now()
	slots := make(chan struct{}, concurrency)
	done := func() { <-slots }
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	capped := false
	for i := 0; i < n; i++ {
		select {
		case <-ctx.Done():
			return time.Since(began)
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			if !capped {
				capped = true
				fmt.Fprintf(w, "concurrency cap: %d shoppers in flight, the next starts when one ends, so fewer than %g/s start (raise --concurrency)\n",
					concurrency, rate)
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return time.Since(began)
			}
		}
		start(done)
	}
	return time.Since(began)
}

func progress(ctx context.Context, w io.Writer, c *counters, start time.Time) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				fmt.Fprintf(w, "[%5.0fs] shoppers %d/%d done · commands %d (%.0f/s) accepted %d rejected %d · orders completed %d rejected %d canceled %d\n",
					el, c.finished.Load(), c.started.Load(), c.sent.Load(), float64(c.sent.Load())/el, c.accepted.Load(), c.rejected.Load(),
					c.completed.Load(), c.orderRejected.Load(), c.canceled.Load())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
