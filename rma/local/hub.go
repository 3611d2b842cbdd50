package local

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/rmactor/rmactor/rma"
)

// hub holds what the ranks of one Run share: the rendezvous points of
// collective calls. A collective call is the k-th of its rank; the k-th calls
// of all ranks meet in round k.
type hub struct {
	size  int
	abort <-chan struct{} // closed when a rank has failed
	mu    sync.Mutex
	round map[uint64]*round
	// departed[k] is set when rank k closes its world (its program
	// returned): see rma.Departures.
	departed []atomic.Bool
}

type round struct {
	values  []any
	arrived int
	done    chan struct{}
}

func newHub(size int, abort <-chan struct{}) *hub {
	return &hub{size: size, abort: abort, round: map[uint64]*round{}, departed: make([]atomic.Bool, size)}
}

// allGather contributes v as rank's value to collective round k and returns
// every rank's value once all have arrived.
func (h *hub) allGather(ctx context.Context, k uint64, rank int, v any) ([]any, error) {
	h.mu.Lock()
	r, ok := h.round[k]
	if !ok {
		r = &round{values: make([]any, h.size), done: make(chan struct{})}
		h.round[k] = r
	}
	r.values[rank] = v
	r.arrived++
	if r.arrived == h.size {
		delete(h.round, k)
		close(r.done)
	}
	h.mu.Unlock()
	// A round every rank reached succeeds, even if a rank failed or ctx
	// ended meanwhile: completion is checked again on every wake-up.
	select {
	case <-r.done:
	case <-h.abort:
	case <-ctx.Done():
	}
	select {
	case <-r.done:
		return r.values, nil
	default:
	}
	select {
	case <-h.abort: // also the reason ctx ends when a rank failed
		return nil, fmt.Errorf("rma/local: collective call %d on rank %d: %w", k, rank, rma.ErrAborted)
	default:
		return nil, fmt.Errorf("rma/local: collective call %d on rank %d: %w", k, rank, ctx.Err())
	}
}

// release drops the rounds no rank will complete any more, once every rank
// of the Run has returned. A round that some ranks reached and others
// never did (a rank failed first) holds the segments those ranks brought
// to an Allocate; a world that outlives its Run (kept by a program, or by a
// goroutine it left behind) must not keep them alive through the hub.
func (h *hub) release() {
	h.mu.Lock()
	clear(h.round)
	h.mu.Unlock()
}
