package conveyor

import (
	"sync"
	"time"
)

// flusher sends part-filled buffers a delay after they began filling.
type flusher struct {
	delay  time.Duration
	flush  func() (left bool)
	kickCh chan struct{}
	quit   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func startFlusher(delay time.Duration, flush func() bool) *flusher {
	f := &flusher{delay: delay, flush: flush, kickCh: make(chan struct{}, 1), quit: make(chan struct{})}
	f.wg.Add(1)
	go f.run()
	return f
}

// kick tells the flusher a buffer began filling.
func (f *flusher) kick() {
	select {
	case f.kickCh <- struct{}{}:
	default:
	}
}

func (f *flusher) run() {
	defer f.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-f.quit:
			return
		case <-f.kickCh:
		}
		for {
			timer.Reset(f.delay)
			select {
			case <-f.quit:
				timer.Stop()
				return
			case <-timer.C:
			}
			if !f.flush() {
				break
			}
		}
	}
}

func (f *flusher) stop() {
	f.once.Do(func() { close(f.quit) })
	f.wg.Wait()
}
