package replay

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// meter counts the records a long read has handled and, with a writer,
// prints how far it is every second and once at the end.
type meter struct {
	w     io.Writer
	label string
	total int64
	start time.Time
	done  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
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

func (m *meter) add(n int64) { m.done.Add(n) }

func (m *meter) print() {
	done := m.done.Load()
	pct := 100.0
	if m.total > 0 {
		pct = 100 * float64(done) / float64(m.total)
	}
	fmt.Fprintf(m.w, "%s: %d/%d (%.0f%%) in %s\n", m.label, done, m.total, pct, time.Since(m.start).Round(time.Millisecond))
}

// finish stops the ticker and prints the final count.
func (m *meter) finish() {
	close(m.stop)
	m.wg.Wait()
	if m.w != nil {
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
