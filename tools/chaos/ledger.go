package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/tools/loadgen"
)

// Acked is one command the API acknowledged (2xx with a version).
type Acked struct {
	CommandID     string
	AggregateType string // "customer", "store"
	AggregateID   string
	Version       int64
	// Sent is when its first attempt was sent, At when it was
	// acknowledged: a fault shows as acknowledgements that took long.
	Sent, At time.Time
}

// Ledger records every acknowledged command of a Driver.
type Ledger struct {
	mu    sync.Mutex
	acked []Acked
	// shoppers is the background shoppers' summary, once they stopped.
	shoppers    *loadgen.Summary
	shoppersErr error
	retries     atomic.Int64
	sent        atomic.Int64
	refused     atomic.Int64
}

func (l *Ledger) add(a Acked) {
	l.mu.Lock()
	l.acked = append(l.acked, a)
	l.mu.Unlock()
}

// Acked returns a copy of the acknowledged commands.
func (l *Ledger) Acked() []Acked {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Acked(nil), l.acked...)
}

// Driver sends commands through the HTTP API from several workers, each
// owning its aggregates: register a customer and change its SMS number a
// few times; create a store and rebrand it. A command that fails or gets no
// result (the process died, 202) is retried with the same Idempotency-Key
// until it is acknowledged, so client retries run through every fault.
type Driver struct {
	API     func() string // the API's base URL now (it may move between processes)
	Token   string        // bearer token of every process's API (Proc.Token)
	Workers int
	Ledger  *Ledger
	http    *http.Client
}

// Run drives until ctx ends.
func (d *Driver) Run(ctx context.Context) {
	d.http = &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for w := 0; w < d.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				if rng.IntN(2) == 0 {
					d.customerLife(ctx, rng)
				} else {
					d.storeLife(ctx, rng)
				}
			}
		}(w)
	}
	wg.Wait()
}

func (d *Driver) customerLife(ctx context.Context, rng *rand.Rand) {
	id := uuid.NewString()
	if !d.ack(ctx, "customer", id, "POST", "/api/customers", map[string]any{"id": id, "name": "Chaos " + id[:6], "smsNumber": "+1555000"}) {
		return
	}
	for i := 0; i < 1+rng.IntN(5) && ctx.Err() == nil; i++ {
		if !d.ack(ctx, "customer", id, "PUT", "/api/customers/"+id+"/change-sms", map[string]any{"smsNumber": fmt.Sprintf("+1555%07d", rng.IntN(10_000_000))}) {
			return
		}
	}
}

func (d *Driver) storeLife(ctx context.Context, rng *rand.Rand) {
	id := uuid.NewString()
	if !d.ack(ctx, "store", id, "POST", "/api/stores", map[string]any{"id": id, "name": "Chaos Store", "location": "Level 0"}) {
		return
	}
	for i := 0; i < 1+rng.IntN(5) && ctx.Err() == nil; i++ {
		if !d.ack(ctx, "store", id, "PUT", "/api/stores/"+id+"/rebrand", map[string]any{"name": fmt.Sprintf("Chaos Store %d", i)}) {
			return
		}
	}
}

// ack sends one command until it is acknowledged; false when ctx ended
// first (the command may or may not have been applied: it is not in the
// ledger).
func (d *Driver) ack(ctx context.Context, typ, id, method, path string, body any) bool {
	key := uuid.NewString()
	raw, _ := json.Marshal(body)
	sent := time.Now()
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return false
		}
		if attempt > 0 {
			d.Ledger.retries.Add(1)
			select {
			case <-ctx.Done():
				return false
			case <-time.After(100 * time.Millisecond):
			}
		}
		req, _ := http.NewRequestWithContext(ctx, method, d.API()+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		authorize(req, d.Token)
		d.Ledger.sent.Add(1)
		resp, err := d.http.Do(req)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			// A retry answered by a rule (the window no longer remembers the
			// first attempt): not acknowledged, the aggregate's life ends.
			d.Ledger.refused.Add(1)
			return false
		case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated:
			continue // 202 (no result yet), 503 (not ready): the same command again
		}
		var out struct {
			Version int64 `json:"version"`
		}
		_ = json.Unmarshal(b, &out)
		d.Ledger.add(Acked{CommandID: key, AggregateType: typ, AggregateID: id, Version: out.Version, Sent: sent, At: time.Now()})
		return true
	}
}

// setShoppers keeps the background shoppers' summary for the report.
func (l *Ledger) setShoppers(s loadgen.Summary, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shoppers = &s
	if err != nil && !errors.Is(err, context.Canceled) {
		l.shoppersErr = err
	}
}

// ShoppersErr is why the background shoppers stopped before the end (a
// fault during their setup), nil when they ran to the end.
func (l *Ledger) ShoppersErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.shoppersErr
}

// Shoppers is the background shoppers' summary (nil when none ran).
func (l *Ledger) Shoppers() *loadgen.Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.shoppers
}
