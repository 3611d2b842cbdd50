package rma

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// waiter runs one blocked operation's back-off. It is not shared between
// goroutines.
type waiter struct {
	policy Backoff
	polls  int
	sleep  time.Duration
	timer  *time.Timer
	// yieldFrom is when the yields began (YieldFor counts from it).
	yieldFrom time.Time
}

func newWaiter(p Backoff) waiter { return waiter{policy: p} }

// wait pauses before the next poll. It returns the context's error, wrapped
// with op, once ctx is done.
func (w *waiter) wait(ctx context.Context, op string) error {
	done := ctx.Done()
	select {
	case <-done:
		return fmt.Errorf("rma: %s: %w", op, ctx.Err())
	default:
	}
	w.polls++
	switch {
	case w.polls <= w.policy.Spins:
		return nil
	case w.polls == w.policy.Spins+1:
		w.yieldFrom = time.Now()
		runtime.Gosched()
		return nil
	case w.sleep == 0 && (w.polls <= w.policy.Spins+w.policy.Yields || time.Since(w.yieldFrom) < w.policy.YieldFor):
		runtime.Gosched()
		return nil
	}
	if w.sleep == 0 {
		w.sleep = max(w.policy.MinSleep, min(time.Microsecond, w.policy.MaxSleep))
	}
	if w.sleep <= 0 {
		runtime.Gosched()
		return nil
	}
	if w.timer == nil {
		w.timer = time.NewTimer(w.sleep)
	} else {
		w.timer.Reset(w.sleep)
	}
	select {
	case <-done:
		w.timer.Stop()
		return fmt.Errorf("rma: %s: %w", op, ctx.Err())
	case <-w.timer.C:
	}
	if w.sleep *= 2; w.sleep > w.policy.MaxSleep {
		w.sleep = w.policy.MaxSleep
	}
	return nil
}

func (w *waiter) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}
