package mailbox

import (
	"errors"
	"runtime"

	"github.com/rmactor/rmactor/rma"
)

// dispatch runs a mailbox on one of the rank's worker goroutines, starting
// one if all are busy. Workers are kept rather than made per run, as
// protoactor's default dispatcher does, because a new goroutine grows its
// stack again (copying it) for every message it handles.
func (r *Rank) dispatch(m *Mailbox) {
	select {
	case r.work <- m:
	default:
		go r.worker(m)
	}
}

// worker runs mailboxes until the rank stops. Workers are not in r.wg:
// Close waits for running mailboxes through r.active, with its context,
// since an actor may block.
func (r *Rank) worker(m *Mailbox) {
	for {
		m.process()
		select {
		case m = <-r.work:
		case <-r.stop:
			return
		}
	}
}

// promote hands polling to a waiting follower, or to a new goroutine if
// every poller is busy running a mailbox.
func (r *Rank) promote() {
	select {
	case r.follow <- struct{}{}:
	default:
		r.wg.Add(1)
		go r.poll()
	}
}

// poll is the rank's dispatcher loop: it answers doorbell tokens, delivers
// the inbox itself and runs mailboxes whose rings have frames. Its work per
// token is constant however many actors the rank hosts.
//
// Leader and followers: when a token makes an idle mailbox ready, the poller
// hands polling to a follower and then runs the mailbox itself, so the
// message is handled without waiting for the scheduler to start another
// goroutine, and an actor that blocks (say, on a future) never stops the
// rank's polling. Done, it waits to be the follower. Exactly one goroutine
// polls at a time.
func (r *Rank) poll() {
	defer r.wg.Done()
	var tokBuf [8]byte
	var frame []byte
	var entries []Entry
	idle := Idler{Nap: r.pollerNap()}
	if r.relay != nil {
		idle.Nap = nil // senders relay, they ring no doorbell and wake nobody
	}
	empty := 0 // empty looks in a row
	for {
		if r.relay != nil {
			// Every frame comes relayed: rings and doorbell stay empty.
			relayed, err := r.relay.receive()
			if errors.Is(err, rma.ErrClosed) {
				r.pollerGone.Store(true)
				return
			}
			if err != nil {
				r.cfg.Logger.Error("mailbox: relay", zapErr(err))
			}
			if relayed {
				empty = 0
				idle.Reset()
				// Let the goroutines it woke (a future's waiter, a
				// mailbox) run now rather than after this poller's
				// next spins.
				runtime.Gosched()
				continue
			}
			r.emptyPolls.Add(1)
			empty++
			r.relay.idle(empty)
			if r.relay.chunking.Load() > 0 {
				// Large sends progress only inside MPI: keep entering
				// it, yielding to the rank's other goroutines.
				idle.Reset()
				runtime.Gosched()
				continue
			}
			if !idle.PauseUntil(r.stop) {
				return
			}
			continue
		}
		tok, ok, err := answer(r.ctl, r.bell, r.rank, uint64(r.layout.maxRings+1), tokBuf[:])
		if err != nil {
			if errors.Is(err, rma.ErrClosed) {
				// The world went away under the rank (another rank
				// failed and the job is ending): nothing to poll.
				r.pollerGone.Store(true)
				return
			}
			r.cfg.Logger.Error("mailbox: doorbell", zapErr(err))
		}
		if ok {
			idle.Reset()
			if tok == inboxToken {
				frame, entries = r.drainInbox(frame, entries)
				// Let the goroutines the inbox woke (a future's waiter)
				// run now rather than after this poller's next spins.
				runtime.Gosched()
				continue
			}
			var mb *Mailbox
			if mb, frame, entries = r.ringReady(tok, frame, entries); mb != nil {
				r.promote()
				mb.process()
				// Wait to poll again: goroutines are kept, not made
				// anew, because a new one would grow its stack again
				// for every message it runs.
				select {
				case <-r.follow:
				case <-r.stop:
					return
				}
				idle.Reset()
			}
			continue
		}
		r.emptyPolls.Add(1)
		if !idle.PauseUntil(r.stop) {
			return
		}
	}
}

// drainInbox delivers every frame in the inbox.
func (r *Rank) drainInbox(frame []byte, entries []Entry) ([]byte, []Entry) {
	for {
		var ok bool
		var err error
		frame, ok, err = r.inbox.TryTakeAppend(frame[:0])
		if err != nil {
			r.cfg.Logger.Error("mailbox: inbox take", zapErr(err))
			return frame, entries
		}
		if !ok {
			return frame, entries
		}
		entries, err = ParseFrame(frame, entries[:0])
		entries = r.inAsm.resolve(entries)
		r.stats.received(frame, len(entries))
		if err != nil {
			r.stats.badFrames.Add(1)
			r.cfg.Logger.Error("mailbox: dropped a malformed inbox frame", zapErr(err))
			continue
		}
		for _, e := range entries {
			if !r.h.Inbox(e.Body) {
				r.done.Add(1)
			}
			r.recycle(e)
		}
	}
}

// ringReady marks a ring with frames ready for its mailbox and returns the
// mailbox if the caller should run it (it was idle), or drains a ring no
// actor holds, reporting its envelopes as dead letters.
func (r *Rank) ringReady(tok uint64, frame []byte, entries []Entry) (*Mailbox, []byte, []Entry) {
	index := int(tok - 1)
	if index < 0 || index >= len(r.pool.slots) {
		r.cfg.Logger.Error("mailbox: doorbell token names no ring", zapErr(ErrBadAddress))
		return nil, frame, entries
	}
	s := r.pool.slots[index].Load()
	if s == nil {
		r.cfg.Logger.Error("mailbox: doorbell token for a ring never created", zapErr(ErrBadAddress))
		return nil, frame, entries
	}
	s.mu.Lock()
	mb := s.mb
	if mb != nil {
		s.mu.Unlock()
		mb.ready.Store(true)
		if mb.status.CompareAndSwap(idle, running) {
			return mb, frame, entries
		}
		// It is running and will see the mark before it goes idle.
		return nil, frame, entries
	}
	defer s.mu.Unlock()
	frame, entries = r.drainUnbound(s, frame, entries)
	return nil, frame, entries
}

// drainUnbound reports every envelope in a ring that no actor holds as a
// dead letter. The caller holds s.mu, and s.mb is nil.
func (r *Rank) drainUnbound(s *ringSlot, frame []byte, entries []Entry) ([]byte, []Entry) {
	for {
		var ok bool
		frame, entries, ok = s.nextLocked(r, frame, entries)
		if !ok {
			return frame, entries
		}
		for _, e := range entries {
			r.h.DeadLetter(Address{Index: s.index, Incarnation: e.Incarnation}.String(), e.Body, ErrStale)
			r.recycle(e)
			r.done.Add(1)
		}
	}
}
