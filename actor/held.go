package actor

import (
	"context"
	"errors"
	"sync"
)

// A Holder is a layer above the System that holds messages back to send
// them later, in bulk: package conveyor's per-destination buffers. The
// System flushes every registered Holder when asked (System.Flush, which
// cluster.Quiesce calls at every wave), and termination detection counts
// what a Holder holds as in flight: a Holder calls System.Hold when it
// starts holding something and System.Release once it has sent it (after
// the Send that carries it, which counts the message itself).
type Holder interface {
	// Flush sends everything the Holder holds; it may be called from any
	// goroutine, concurrently with the Holder's other methods.
	Flush(ctx context.Context) error
}

// holders is a System's registered Holders.
type holders struct {
	mu   sync.Mutex
	next int
	set  map[int]Holder
}

// AddHolder registers h, to be flushed by Flush, until the returned
// function removes it.
func (s *System) AddHolder(h Holder) (remove func()) {
	s.held.mu.Lock()
	defer s.held.mu.Unlock()
	if s.held.set == nil {
		s.held.set = make(map[int]Holder)
	}
	id := s.held.next
	s.held.next++
	s.held.set[id] = h
	return func() {
		s.held.mu.Lock()
		defer s.held.mu.Unlock()
		delete(s.held.set, id)
	}
}

// Flush sends what every registered Holder of this rank holds back, and
// returns their errors joined.
func (s *System) Flush(ctx context.Context) error {
	s.held.mu.Lock()
	hs := make([]Holder, 0, len(s.held.set))
	for _, h := range s.held.set {
		hs = append(hs, h)
	}
	s.held.mu.Unlock()
	var errs []error
	for _, h := range hs {
		errs = append(errs, h.Flush(ctx))
	}
	return errors.Join(errs...)
}

// Hold counts one message held back by a Holder as sent, for termination
// detection: no rank can find the job quiescent until it is released.
func (s *System) Hold() { s.mb.Hold() }

// Release counts a held message done: call it once what it held has been
// sent (so that the sends are counted before the hold ends).
func (s *System) Release() { s.mb.Release() }
