package replay

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// meter counts how far a long read or write is and, with a writer, prints
// it every second and once at the end. Progress is in offsets (a compacted
// topic has fewer records than offsets); records are counted apart.
type meter struct {
	w       io.Writer
	label   string
	total   int64
	start   time.Time
	done    atomic.Int64
	records atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startMeter(w io.Writer, label string, total int64) *meter {
	m := &meter{w: w, label: label, total: total, start: time.Now(), stop: make(chan struct{})}
	if w == nil {
		return m
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
				m.print()
			}
		}
	}()
	return m
}

// add counts one record that moved the position by n offsets.
func (m *meter) add(n int64) {
	m.done.Add(n)
	m.records.Add(1)
}

func (m *meter) print() {
	pct := 100.0
	if m.total > 0 {
		pct = 100 * float64(m.done.Load()) / float64(m.total)
	}
	fmt.Fprintf(m.w, "%s: %3.0f%%, %d records, %s\n", m.label, pct, m.records.Load(), time.Since(m.start).Round(time.Millisecond))
}

// finish stops the ticker and prints the final count.
func (m *meter) finish() {
	close(m.stop)
	m.wg.Wait()
	if m.w != nil {
		m.done.Store(m.total)
		m.print()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
