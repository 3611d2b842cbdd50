package rma

import (
	"context"
	"fmt"
)

// Future is the result of an asynchronous operation (PutF, TakeF). It costs
// one small allocation: no goroutine waits behind it.
type Future[T any] struct {
	done  chan struct{}
	value T
	err   error
}

func newFuture[T any]() *Future[T] { return &Future[T]{done: make(chan struct{})} }

// completedFuture returns a future that is already done, sharing the closed
// channel closed instead of allocating one.
func completedFuture[T any](closed chan struct{}, v T, err error) *Future[T] {
	return &Future[T]{done: closed, value: v, err: err}
}

func (f *Future[T]) complete(v T, err error) {
	f.value, f.err = v, err
	close(f.done)
}

// Done is closed when the operation has finished.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Wait blocks until the operation finishes or ctx is done. A cancelled Wait
// does not cancel the operation.
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.value, f.err
	default:
	}
	select {
	case <-f.done:
		return f.value, f.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("rma: future wait: %w", ctx.Err())
	}
}

// Err is the operation's error once it is done, and ErrPending before.
func (f *Future[T]) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return ErrPending
	}
}
