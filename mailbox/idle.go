package mailbox

import (
	"context"
	"runtime"
	"time"
)

// Idler is the back-off of a loop that polls for work: spin a little, then
// yield the processor for a while, and only then sleep, with growing pauses.
// Timers are coarse on shared machines (a 1 µs sleep was measured to take
// about 250 µs here), so a poller that slept early would add that to every
// message after a short gap; yielding first keeps wake-ups in microseconds
// while the work comes steadily, and sleeping later keeps idle ranks cheap.
type Idler struct {
	// Nap, if set, replaces the timer sleep: it sleeps at most the
	// duration it is given and may return early (a wake-up, wake.go).
	Nap   func(time.Duration)
	polls int
	since time.Time
	sleep time.Duration
	timer *time.Timer
}

const (
	idleSpins    = 8
	idleYieldFor = 500 * time.Microsecond
	idleMinSleep = 20 * time.Microsecond
	idleMaxSleep = time.Millisecond
)

// Reset is called when the loop found work.
func (i *Idler) Reset() { i.polls = 0; i.sleep = 0 }

// Pause waits before the next poll. It returns ctx's error once ctx is done.
func (i *Idler) Pause(ctx context.Context) error {
	return i.pause(ctx.Done(), ctx.Err)
}

// PauseUntil is Pause with a stop channel instead of a context; it reports
// false once stop is closed.
func (i *Idler) PauseUntil(stop <-chan struct{}) bool {
	return i.pause(stop, func() error { return context.Canceled }) == nil
}

func (i *Idler) pause(done <-chan struct{}, cause func() error) error {
	select {
	case <-done:
		return cause()
	default:
	}
	i.polls++
	switch {
	case i.polls <= idleSpins:
		return nil
	case i.polls == idleSpins+1:
		i.since = time.Now()
		runtime.Gosched()
		return nil
	case i.polls%16 != 0 || time.Since(i.since) < idleYieldFor:
		// Read the clock only now and then.
		runtime.Gosched()
		return nil
	}
	i.sleep = min(max(2*i.sleep, idleMinSleep), idleMaxSleep)
	if i.Nap != nil {
		i.Nap(i.sleep)
		select {
		case <-done:
			return cause()
		default:
			return nil
		}
	}
	if i.timer == nil {
		i.timer = time.NewTimer(i.sleep)
	} else {
		i.timer.Reset(i.sleep)
	}
	select {
	case <-done:
		i.timer.Stop()
		return cause()
	case <-i.timer.C:
		return nil
	}
}
