package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// readyWatch polls a process's /readyz until stopped: the tamper scenario
// requires that no attack and no tamper makes a processor stop.
type readyWatch struct {
	polls, failures int
	first           string
	stop            func()
}

func watchReady(p *Proc) *readyWatch {
	w := &readyWatch{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			status := ""
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.API()+"/readyz", nil)
			resp, err := client.Do(req)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				status = err.Error()
			default:
				if resp.StatusCode != http.StatusOK {
					status = resp.Status
				}
				resp.Body.Close()
			}
			mu.Lock()
			w.polls++
			if status != "" {
				w.failures++
				if w.first == "" {
					w.first = time.Now().Format(time.TimeOnly) + " " + status
				}
			}
			mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	w.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	return w
}

// eventRow is an event's row in ClickHouse's mallbots.events.
type eventRow struct {
	rows          uint64
	payload, hash string
}

// warehouseRow waits (up to a minute) for the event's row in
// mallbots.events and reads it as FINAL answers it, with how many rows
// (unmerged copies included) the table holds for it.
func warehouseRow(ctx context.Context, p *Proc, eventID string) (eventRow, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{p.CH}, DialTimeout: 5 * time.Second})
	if err != nil {
		return eventRow{}, err
	}
	defer conn.Close()
	var r eventRow
	deadline := time.Now().Add(time.Minute)
	for {
		err = conn.QueryRow(ctx, "SELECT count() FROM mallbots.events WHERE event_id = ?", eventID).Scan(&r.rows)
		if err == nil && r.rows > 0 {
			err = conn.QueryRow(ctx, "SELECT payload, hash FROM mallbots.events FINAL WHERE event_id = ?", eventID).Scan(&r.payload, &r.hash)
			return r, err
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("event %s is not in mallbots.events after a minute (%v)", eventID, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// projectionConflicts is the sum of mallbots_projection_conflicts_total
// on the process's /metrics: the records the projectors refused because
// their table held the key with other content.
func projectionConflicts(ctx context.Context, p *Proc) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.API()+"/metrics", nil)
	authorize(req, p.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "mallbots_projection_conflicts_total") {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}
