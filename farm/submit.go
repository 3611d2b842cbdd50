package farm

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
)

// Future is the result of one submitted task.
type Future[R any] struct {
	done chan struct{}
	v    R
	err  error
	stop atomic.Pointer[func() bool] // unregisters the cancellation
}

// Done is closed once the result is in.
func (fu *Future[R]) Done() <-chan struct{} { return fu.done }

// Wait returns the task's result, or its TaskError; if ctx ends first, it
// returns ctx's error (the task goes on: cancel it through Submit's
// context).
func (fu *Future[R]) Wait(ctx context.Context) (R, error) {
	select {
	case <-fu.done:
		return fu.v, fu.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// Submit sends one task to a rank with an idle worker slot, waiting for
// one while all are taken (so the tasks in flight stay bounded), and
// returns its future. If ctx ends while the task is out, the task is
// cancelled: its worker's context ends, and the future gets ErrCancelled.
func (f *Farm[T, R]) Submit(ctx context.Context, task T) (*Future[R], error) {
	enc, err := codec.AppendValue(nil, task)
	if err != nil {
		return nil, fmt.Errorf("farm %q: %w", f.name, err)
	}
	fu := &Future[R]{done: make(chan struct{})}
	var p *inFlight
	deliver := func(rank, _ int, payload []byte, status byte) {
		fu.v, fu.err = f.result(rank, payload, status)
		f.completed.Add(1)
		close(fu.done)
		if stop := fu.stop.Load(); stop != nil {
			(*stop)()
		}
	}
	for {
		var wait <-chan struct{}
		p, wait, err = f.trySend(ctx, [][]byte{enc}, deliver)
		if err != nil {
			return nil, err
		}
		if p != nil {
			break
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("farm %q: waiting for a worker: %w", f.name, ctx.Err())
		}
	}
	f.submitted.Add(1)
	stop := context.AfterFunc(ctx, func() { f.cancel(p) })
	fu.stop.Store(&stop)
	select {
	case <-fu.done: // delivered before the store: unregister here
		stop()
	default:
	}
	return fu, nil
}

// trySend sends a chunk of encoded tasks to the rank with the most idle
// slots. With none idle it sends nothing and returns a channel closed when
// one frees.
func (f *Farm[T, R]) trySend(ctx context.Context, tasks [][]byte, deliver func(rank, i int, payload []byte, status byte)) (*inFlight, <-chan struct{}, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, nil, fmt.Errorf("farm %q: %w", f.name, ErrClosed)
	}
	best := -1
	for k, n := range f.free {
		if n > 0 && (best < 0 || n > f.free[best]) {
			best = k
		}
	}
	if best < 0 {
		wait := f.changed
		f.mu.Unlock()
		return nil, wait, nil
	}
	f.free[best]--
	first := f.nextID
	f.nextID += uint64(len(tasks))
	p := &inFlight{rank: best, n: len(tasks), first: first, deliver: deliver}
	f.pending[first] = p
	f.mu.Unlock()

	size := 17
	for _, t := range tasks {
		size += 4 + len(t)
	}
	msg := appendTasksHeader(make([]byte, 0, size), f.c.Rank(), first, len(tasks))
	for _, t := range tasks {
		msg = appendItem(msg, -1, t)
	}
	if err := f.sys.Send(ctx, f.pools[best], msg); err != nil && !errors.Is(err, actor.ErrMailboxFull) {
		// Nothing was sent: take the chunk back.
		f.mu.Lock()
		delete(f.pending, first)
		f.free[best]++
		f.mu.Unlock()
		return nil, nil, fmt.Errorf("farm %q: %w", f.name, err)
	}
	// ErrMailboxFull: ctx ended while the target's mailbox was full, and
	// the chunk is queued all the same; its results will come.
	return p, nil, nil
}

// cancel asks the rank running p to drop it (best effort: its results,
// whatever they are, still come back and free the slot).
func (f *Farm[T, R]) cancel(p *inFlight) {
	if p.cancelled.Swap(true) {
		return
	}
	f.sendTo(p.rank, appendCancel(nil, f.c.Rank(), p.first, p.n))
}
