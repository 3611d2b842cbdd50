package mailbox

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// Target names where an envelope goes: a mailbox ring on another rank, or
// that rank's inbox.
type Target struct {
	Rank    int
	Address Address // the mailbox ring and incarnation, unless Inbox
	Inbox   bool
}

type outletKey struct{ rank, index int } // index -1: the inbox

// Outlet batches envelopes for one ring of another rank. Envelopes join the
// open frame until it is full; a frame goes into the ring at once when the
// sender had been idle (so a lone message is not delayed), otherwise when
// the rank's flusher runs. Frames that find the ring full wait in queued, in
// order, and the flusher retries them: nobody ever blocks on a full ring.
type Outlet struct {
	r       *Rank
	mu      sync.Mutex
	tok     uint64
	owner   int
	ch      *rma.Channel
	err     error // the ring cannot be reached: every envelope is a dead letter
	cur     frameWriter
	queued  [][]byte
	dirty   bool
	last    time.Duration // when a frame last went into the ring
	backlog atomic.Int64  // envelopes accepted and not yet in the ring
}

type outlets struct {
	mu      sync.RWMutex
	m       map[outletKey]*Outlet
	dirtyMu sync.Mutex
	dirty   []*Outlet
	kick    chan struct{}
	epoch   time.Time
}

func (os *outlets) init() {
	os.m = make(map[outletKey]*Outlet)
	os.kick = make(chan struct{}, 1)
	os.epoch = time.Now()
}

// Outlet is the batching queue for t's ring (the incarnation in t does not
// matter: one outlet serves every incarnation of a ring). A target that
// cannot exist gives its error.
func (r *Rank) Outlet(t Target) (*Outlet, error) {
	if t.Rank < 0 || t.Rank >= r.world.Size() {
		return nil, fmt.Errorf("%w: rank %d of %d", rma.ErrInvalidRank, t.Rank, r.world.Size())
	}
	key := outletKey{t.Rank, t.Address.Index}
	if t.Inbox {
		key.index = -1
	}
	r.out.mu.RLock()
	o, ok := r.out.m[key]
	r.out.mu.RUnlock()
	if ok {
		return o, o.err
	}
	o = &Outlet{r: r, owner: t.Rank}
	o.cur.reset(r.cfg.SlotBytes)
	if t.Inbox {
		o.tok = inboxToken
		o.ch = r.inboxes[t.Rank]
	} else if t.Address.Index >= r.layout.maxRings {
		o.err = fmt.Errorf("%w: mailbox %d, rank %d has room for %d", ErrBadAddress, t.Address.Index, t.Rank, r.layout.maxRings)
	} else {
		o.tok = mailboxToken(t.Address.Index)
		o.ch, o.err = r.arena.Attach(r.ringHandle(t.Rank, t.Address.Index))
	}
	r.out.mu.Lock()
	if prev, ok := r.out.m[key]; ok {
		o = prev
	} else {
		r.out.m[key] = o
	}
	r.out.mu.Unlock()
	return o, o.err
}

// Send queues one envelope body for t and returns at once: it never waits
// for room in the target ring. An envelope that can never fit a slot gives
// ErrEnvelopeTooLarge; a target that does not exist gives its error. Either
// way nothing was queued and the caller reports the dead letter. Envelopes
// that fail later (a ring gone corrupt) are reported to the Handler.
func (r *Rank) Send(t Target, body []byte) error {
	o, err := r.Outlet(t)
	if err != nil {
		return err
	}
	return o.Send(t.Address.Incarnation, body)
}

// Send queues one envelope body for incarnation inc of the outlet's ring;
// see Rank.Send.
func (o *Outlet) Send(inc uint32, body []byte) error {
	r := o.r
	if r.closed.Load() {
		return fmt.Errorf("mailbox: send: %w", ErrClosed)
	}
	if len(body)+FrameOverhead > r.cfg.SlotBytes {
		return fmt.Errorf("%w: %d-byte envelope, slots hold %d", ErrEnvelopeTooLarge, len(body), r.cfg.SlotBytes-FrameOverhead)
	}
	// Counted before the envelope can be taken anywhere, so that no rank
	// ever counts more done than sent (termination detection).
	r.sent.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.cur.fits(len(body)) {
		o.seal()
	}
	o.cur.add(inc, body)
	o.backlog.Add(1)
	if !r.cfg.Aggregate {
		if o.flushLocked(r) {
			return nil
		}
	} else if o.cur.count == 1 && len(o.queued) == 0 && !o.dirty {
		// The first envelope since the last flush: if that flush was a
		// while ago, the sender is not streaming, and waiting for company
		// would only delay it. (The clock is read once per batch, not
		// per message.)
		if time.Since(r.out.epoch)-o.last > r.cfg.IdleGap && o.flushLocked(r) {
			return nil
		}
	}
	r.markDirty(o)
	return nil
}

// Backlog is how many envelopes were accepted and are not yet in the ring.
func (o *Outlet) Backlog() int { return int(o.backlog.Load()) }

// WaitRoom waits until at most limit envelopes are waiting, so that a sender
// outside any actor is slowed by a full mailbox.
func (o *Outlet) WaitRoom(ctx context.Context, limit int) error {
	var idle Idler
	for o.backlog.Load() > int64(limit) {
		o.r.kick()
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("%w: waiting for room in a mailbox of rank %d: %w", ErrMailboxFull, o.owner, err)
		}
	}
	return nil
}

// seal moves the open frame to the queue.
func (o *Outlet) seal() {
	if o.cur.count == 0 {
		return
	}
	o.queued = append(o.queued, append([]byte(nil), o.cur.bytes()...))
	o.cur.reset(o.cur.limit)
}

// flushLocked puts queued frames, then the open one, into the ring while it
// has room, and rings the doorbell once if it put any. It reports whether
// nothing is left.
func (o *Outlet) flushLocked(r *Rank) bool {
	put := false
	for len(o.queued) > 0 {
		ok, err := o.ch.TryPut(o.queued[0])
		if err != nil {
			r.deadFrame(o.queued[0], err)
			o.backlog.Add(-int64(frameCount(o.queued[0])))
		} else if !ok {
			break
		} else {
			r.countFrame(o.queued[0])
			o.backlog.Add(-int64(frameCount(o.queued[0])))
			put = true
		}
		o.queued[0] = nil
		o.queued = o.queued[1:]
	}
	if len(o.queued) == 0 && o.cur.count > 0 {
		ok, err := o.ch.TryPut(o.cur.bytes())
		switch {
		case err != nil:
			r.deadFrame(o.cur.bytes(), err)
		case ok:
			r.countFrame(o.cur.bytes())
			put = true
		}
		if err != nil || ok {
			o.backlog.Add(-int64(o.cur.count))
			o.cur.reset(o.cur.limit)
		} else {
			o.seal()
		}
	}
	if put {
		o.last = time.Since(r.out.epoch)
		if err := ring(r.ctl, r.bells[o.owner], o.owner, o.tok); err != nil {
			r.cfg.Logger.Error("mailbox: ringing a doorbell failed", zapErr(err))
		}
	}
	return len(o.queued) == 0 && o.cur.count == 0
}

func frameCount(frame []byte) int { return int(frame[2]) | int(frame[3])<<8 }

func (r *Rank) countFrame(frame []byte) {
	r.stats.framesOut.Add(1)
	r.stats.messagesOut.Add(uint64(frameCount(frame)))
	r.stats.bytesOut.Add(uint64(len(frame)))
}

// deadFrame reports every envelope of a frame that could not be put.
func (r *Rank) deadFrame(frame []byte, err error) {
	entries, perr := ParseFrame(frame, nil)
	if perr != nil {
		r.cfg.Logger.Error("mailbox: lost a frame that failed to parse", zapErr(perr), zapErr(err))
		return
	}
	for _, e := range entries {
		r.h.DeadLetter("", e.Body, err)
		r.done.Add(1)
	}
}

// markDirty hands o to the flusher. The caller holds o.mu.
func (r *Rank) markDirty(o *Outlet) {
	if o.dirty {
		return
	}
	o.dirty = true
	r.out.dirtyMu.Lock()
	r.out.dirty = append(r.out.dirty, o)
	r.out.dirtyMu.Unlock()
	r.kick()
}

// flushIdle flushes the dirty outlets on the calling goroutine, an actor
// that went idle, sparing the flusher's wake-up; what finds its ring full is
// left to the flusher.
func (r *Rank) flushIdle() {
	r.out.dirtyMu.Lock()
	none := len(r.out.dirty) == 0
	r.out.dirtyMu.Unlock()
	if none {
		return
	}
	if left, _ := r.flushDirty(); left > 0 {
		r.kick()
	}
}

// kick wakes the flusher.
func (r *Rank) kick() {
	select {
	case r.out.kick <- struct{}{}:
	default:
	}
}

// flush is the rank's flusher: it puts batches into rings, and retries the
// ones that found a ring full, backing off while nothing moves.
func (r *Rank) flush() {
	defer r.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-r.out.kick:
		}
		if d := r.cfg.FlushDelay; d > 0 {
			timer.Reset(d)
			select {
			case <-r.stop:
				return
			case <-timer.C:
			}
		}
		var idle Idler
		for {
			left, moved := r.flushDirty()
			if left == 0 {
				break
			}
			if moved {
				idle.Reset()
			}
			if !idle.PauseUntil(r.stop) {
				return
			}
		}
	}
}

// flushDirty flushes every dirty outlet once; it returns how many still
// hold envelopes and whether any envelope moved.
func (r *Rank) flushDirty() (left int, moved bool) {
	r.out.dirtyMu.Lock()
	list := r.out.dirty
	r.out.dirty = nil
	r.out.dirtyMu.Unlock()
	for _, o := range list {
		o.mu.Lock()
		before := o.backlog.Load()
		o.dirty = false
		if !o.flushLocked(r) {
			r.markDirty(o)
			left++
		}
		if o.backlog.Load() != before {
			moved = true
		}
		o.mu.Unlock()
	}
	return left, moved
}

// drain flushes everything queued, waiting for room until ctx ends.
func (os *outlets) drain(ctx context.Context, r *Rank) error {
	var idle Idler
	for {
		left, _ := r.flushDirty()
		if left == 0 {
			return nil
		}
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("mailbox: close: %d outlet(s) still hold messages for full mailboxes: %w", left, err)
		}
	}
}
