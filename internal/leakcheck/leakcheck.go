// Package leakcheck measures what a piece of code leaves behind: goroutines
// and live heap. Tests take a Snapshot before, run the code many times, and
// compare with Settle's snapshot after.
package leakcheck

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Snapshot is the number of goroutines and the live heap at one moment,
// read right after a full garbage collection.
type Snapshot struct {
	Goroutines int
	HeapAlloc  uint64 // bytes of live objects (and any allocated since the GC)
	HeapInuse  uint64 // bytes of in-use heap spans
}

func (s Snapshot) String() string {
	return fmt.Sprintf("%d goroutines, HeapAlloc %.1f MiB, HeapInuse %.1f MiB",
		s.Goroutines, mib(s.HeapAlloc), mib(s.HeapInuse))
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// Take collects garbage and reads the counts. It collects twice: objects
// in a sync.Pool survive one collection (the pool's victim cache), and the
// second collection also frees what finalizers let go of after the first.
func Take() Snapshot {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Snapshot{Goroutines: runtime.NumGoroutine(), HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse}
}

// Settle waits until at most want goroutines are left, then takes a
// Snapshot. A goroutine does not report its exit, so Settle polls, backing
// off from 1 ms to 50 ms; goroutines that are still winding down (a worker
// woken by the stop signal, a library's one-shot timer) get until ctx ends.
// If ctx ends first, Settle returns the snapshot it has and ctx's error.
func Settle(ctx context.Context, want int) (Snapshot, error) {
	wait := time.Millisecond
	for runtime.NumGoroutine() > want {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Take(), fmt.Errorf("leakcheck: %d goroutines, want at most %d: %w",
				runtime.NumGoroutine(), want, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
	return Take(), nil
}

// Grew reports how far after is above before (0 if it is not).
func Grew(before, after uint64) uint64 {
	if after <= before {
		return 0
	}
	return after - before
}

// Stacks is every goroutine's stack, for a failure message.
func Stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// Repeated runs warmup once, takes the baseline once its goroutines have
// ended, runs run(i) for i in [0, runs), and checks that the goroutines come
// back to the baseline exactly and the live heap (HeapAlloc and HeapInuse)
// to at most heapSlack above it. Goroutines still winding down get until
// settle has passed. It reports the numbers with t.Logf.
func Repeated(t testing.TB, warmup func(), runs int, run func(i int), heapSlack uint64, settle time.Duration) {
	t.Helper()
	g0 := runtime.NumGoroutine()
	warmup()
	ctx, cancel := context.WithTimeout(context.Background(), settle)
	base, err := Settle(ctx, g0)
	cancel()
	if err != nil {
		t.Fatalf("the warm-up left goroutines: %v\n%s", err, Stacks())
	}
	for i := range runs {
		run(i)
		if t.Failed() {
			t.FailNow()
		}
	}
	right := runtime.NumGoroutine()
	ctx, cancel = context.WithTimeout(context.Background(), settle)
	end, err := Settle(ctx, base.Goroutines)
	cancel()
	t.Logf("baseline:             %v", base)
	t.Logf("right after %d runs: %d goroutines", runs, right)
	t.Logf("settled:              %v", end)
	t.Logf("heap growth: HeapAlloc %+.2f MiB, HeapInuse %+.2f MiB",
		delta(base.HeapAlloc, end.HeapAlloc), delta(base.HeapInuse, end.HeapInuse))
	if err != nil {
		t.Fatalf("%d runs left goroutines: %v\n%s", runs, err, Stacks())
	}
	if g := Grew(base.HeapAlloc, end.HeapAlloc); g > heapSlack {
		t.Errorf("live heap (HeapAlloc) grew by %.2f MiB over %d runs, more than the %.2f MiB allowed",
			mib(g), runs, mib(heapSlack))
	}
	if g := Grew(base.HeapInuse, end.HeapInuse); g > heapSlack {
		t.Errorf("heap in use (HeapInuse) grew by %.2f MiB over %d runs, more than the %.2f MiB allowed",
			mib(g), runs, mib(heapSlack))
	}
}

func delta(before, after uint64) float64 { return (float64(after) - float64(before)) / (1 << 20) }
