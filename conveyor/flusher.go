package conveyor

import (
	"sync"
	"time"
)

// flusher sends part-filled buffers a delay after they began filling. It
// is a timer, not a goroutine: a Conveyor nobody closes leaves nothing
// running once its last timer has fired.
type flusher struct {
	delay time.Duration
	flush func() (left bool)

	mu      sync.Mutex
	timer   *time.Timer
	armed   bool // a firing is due, counted in running
	stopped bool
	running sync.WaitGroup // firings due or under way
}

func newFlusher(delay time.Duration, flush func() bool) *flusher {
	return &flusher{delay: delay, flush: flush}
}

// kick tells the flusher a buffer began filling: it arms the timer unless
// a firing is already due.
func (f *flusher) kick() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed || f.stopped {
		return
	}
	f.armed = true
	f.running.Add(1)
	if f.timer == nil {
		f.timer = time.AfterFunc(f.delay, f.fire)
	} else {
		f.timer.Reset(f.delay)
	}
}

// fire flushes. It disarms first, so that a buffer begun during the flush
// arms the next firing; buffers it had to leave (their sender held them)
// arm it too.
func (f *flusher) fire() {
	defer f.running.Done()
	f.mu.Lock()
	f.armed = false
	f.mu.Unlock()
	if f.flush() {
		f.kick()
	}
}

// stop disarms the flusher for good and waits for a firing under way.
func (f *flusher) stop() {
	f.mu.Lock()
	f.stopped = true
	if f.armed && f.timer.Stop() {
		f.armed = false
		f.running.Done()
	}
	f.mu.Unlock()
	f.running.Wait()
}
