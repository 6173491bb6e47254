package bench

import (
	"context"
	"os"
	"runtime/metrics"
	"sync"
	"time"
)

// The aggregate and pipeline instances run in the benchmark's process, so
// its Go heap holds theirs (beside the embedded broker's and the bench's
// own clients). heapPeak samples the heap that survived the last
// collection ("/gc/heap/live:bytes", which costs no stop of the world,
// unlike runtime.ReadMemStats) and the process's resident set while a
// stage runs: issue 27's target compares the pipeline's peak live heap
// with the aggregate's alone.

// heapSampleEvery is how often the live heap is sampled; a collection
// happens several times a second under load, so a peak lasting a
// collection cycle is seen.
const heapSampleEvery = 250 * time.Millisecond

// heapPeaks are a stage's peaks, in MiB.
type heapPeaks struct {
	live, rss float64
}

// sampleHeap samples until the returned function is called, which
// returns the peaks.
func sampleHeap(ctx context.Context) func() heapPeaks {
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg    sync.WaitGroup
		peaks heapPeaks
	)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			peaks.live = max(peaks.live, float64(sample[0].Value.Uint64())/(1<<20))
		}
		if cur, _, err := rss(os.Getpid()); err == nil {
			peaks.rss = max(peaks.rss, cur)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		for {
			read()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() heapPeaks {
		cancel()
		wg.Wait()
		read()
		return peaks
	}
}
