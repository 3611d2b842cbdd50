package local

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/rmactor/rmactor/rma"
)

// world is one rank's rma.World.
type world struct {
	hub      *hub
	rank     int
	maxBytes int
	calls    atomic.Uint64 // collective calls made by this rank
	closed   atomic.Bool
}

var _ rma.World = (*world)(nil)

func (w *world) Rank() int { return w.rank }
func (w *world) Size() int { return w.hub.size }

func (w *world) collective(ctx context.Context, v any) ([]any, error) {
	if w.closed.Load() {
		return nil, rma.ErrClosed
	}
	return w.hub.allGather(ctx, w.calls.Add(1), w.rank, v)
}

// Barrier returns once every rank has entered it.
func (w *world) Barrier(ctx context.Context) error {
	_, err := w.collective(ctx, nil)
	return err
}

// Allocate is collective: every rank brings its own zeroed segment and
// receives a window over all of them.
func (w *world) Allocate(ctx context.Context, size int) (rma.Window, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: window segment of %d bytes", rma.ErrInvalidArgument, size)
	}
	if size > w.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes on rank %d, limit %d (local.WithMaxWindowBytes)",
			rma.ErrWindowTooLarge, size, w.rank, w.maxBytes)
	}
	if w.closed.Load() { // before allocating a segment for nothing
		return nil, rma.ErrClosed
	}
	seg := newSegment(size)
	all, err := w.collective(ctx, seg)
	if err != nil {
		return nil, err
	}
	segs := make([]*segment, len(all))
	for i, s := range all {
		seg, ok := s.(*segment)
		if !ok {
			// Rank i's collective call of this round was another one (a
			// Barrier, a Free): the ranks are out of step, which a rank
			// that fails between collective calls can cause.
			return nil, fmt.Errorf("%w: rank %d's Allocate met another collective call of rank %d",
				rma.ErrMismatch, w.rank, i)
		}
		segs[i] = seg
	}
	return newWindow(w, segs), nil
}

// Close releases this rank's world. Later calls return rma.ErrClosed.
func (w *world) Close() error {
	if !w.closed.CompareAndSwap(false, true) {
		return rma.ErrClosed
	}
	w.hub.departed[w.rank].Store(true)
	return nil
}

// Departed reports whether rank k has closed its world (rma.Departures).
func (w *world) Departed(k int) bool {
	return k >= 0 && k < w.hub.size && w.hub.departed[k].Load()
}
