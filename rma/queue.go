package rma

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// opQueue runs one kind of a channel handle's operations (puts, or takes)
// that could not complete at once, one at a time in submission order. A
// single goroutine drains it while it is non-empty and exits when it is
// empty, so thousands of outstanding futures cost no goroutines. Puts and
// takes have separate queues: a take never waits behind a blocked put.
type opQueue struct {
	mu      sync.Mutex
	ops     []func()
	running bool
	pending atomic.Int64 // submitted and not yet finished
	idle    sync.WaitGroup
}

// submit queues op and starts the drainer if none runs.
func (q *opQueue) submit(op func()) {
	q.pending.Add(1)
	q.mu.Lock()
	q.ops = append(q.ops, op)
	start := !q.running
	if start {
		q.running = true
		q.idle.Add(1)
	}
	q.mu.Unlock()
	if start {
		go q.drain()
	}
}

// drain runs queued operations, taking the whole backlog under one lock so
// that a fast submitter and the drainer rarely contend.
func (q *opQueue) drain() {
	defer q.idle.Done()
	var batch []func()
	for {
		q.mu.Lock()
		if len(q.ops) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		batch, q.ops = q.ops, batch[:0]
		q.mu.Unlock()
		for i, op := range batch {
			op()
			batch[i] = nil
			q.pending.Add(-1)
		}
	}
}

// wait returns once the queue is drained and its goroutine has exited.
func (q *opQueue) wait() { q.idle.Wait() }

// busy reports whether earlier operations are still queued or running, in
// which case a new operation must queue behind them to keep order.
func (q *opQueue) busy() bool { return q.pending.Load() != 0 }

// runQueued runs fn in q, behind the operations already there, and waits for
// it. If ctx ends while fn is still queued, fn is skipped and never runs;
// once fn runs it sees the same ctx and returns promptly.
func runQueued[T any](ctx context.Context, q *opQueue, op string, fn func(context.Context) (T, error)) (T, error) {
	const (
		queued int32 = iota
		running
		abandoned
	)
	var state atomic.Int32
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	q.submit(func() {
		if !state.CompareAndSwap(queued, running) {
			return
		}
		v, err := fn(ctx)
		done <- result{v, err}
	})
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		if state.CompareAndSwap(queued, abandoned) {
			var zero T
			return zero, fmt.Errorf("rma: %s: %w", op, ctx.Err())
		}
		r := <-done
		return r.v, r.err
	}
}
