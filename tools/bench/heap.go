package bench

import (
	"context"
	"os"
	"runtime/metrics"
	"runtime/pprof"
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

// heapProfileStep is how far past the last profiled peak (MiB) the live
// heap must grow before its profile is written again.
const heapProfileStep = 64

// sampleHeap samples until the returned function is called, which
// returns the peaks; with Config.HeapProfile it keeps a heap profile of
// the stage's peak. The profile's in-use figures are as of the last
// collection, the same collection the live-heap sample describes.
func (e *env) sampleHeap(ctx context.Context, stage string) func() heapPeaks {
	profiled := -float64(heapProfileStep) // the first sample is written
	var profileErr error                  // the sampler's; reported by the caller's goroutine
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg    sync.WaitGroup
		peaks heapPeaks
	)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live := float64(sample[0].Value.Uint64()) / (1 << 20)
			peaks.live = max(peaks.live, live)
			if e.cfg.HeapProfile != "" && live >= profiled+heapProfileStep {
				profiled = live
				if err := writeHeapProfile(e.cfg.HeapProfile + "." + stage + ".pprof"); err != nil {
					profileErr = err
				}
			}
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
		if profileErr != nil {
			e.report.Warnings = append(e.report.Warnings, "heap profile of the "+stage+" stage: "+profileErr.Error())
		}
		return peaks
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
