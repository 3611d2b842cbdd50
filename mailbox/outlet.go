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
	r        *Rank
	mu       sync.Mutex
	tok      uint64
	owner    int
	index    int        // the target ring's index
	inbox    bool       // the target is a rank's inbox, not a mailbox ring
	relayed  bool       // frames go through the relay (relay.go), not into the ring
	flying   []inFlight // relayed items not yet acked, oldest first
	ch       *rma.Channel
	err      error // the ring cannot be reached: every envelope is a dead letter
	cur      frameWriter
	queued   []pending
	dirty    bool
	last     time.Duration // when a frame last went into the ring
	backlog  atomic.Int64  // envelopes accepted and not yet in the ring
	unstaged atomic.Int64  // bytes of large envelopes accepted and not yet staged
	staged   int           // staging blocks lent to this outlet; guarded by the stager's mutex
}

// pending is what waits in an outlet for room: a sealed frame, or an
// envelope too large for a slot, which goes through the staging window a
// chunk at a time (staging.go), in order with the frames around it.
type pending struct {
	frame []byte
	large *largeSend
}

// largeSend is a large envelope on its way: the chunks before sent are
// staged, and desc, if set, is the frame describing the last of them,
// still waiting for room in the ring.
type largeSend struct {
	inc   uint32
	body  []byte
	sent  int
	desc  []byte
	block int
	tag   uint64
	chunk int // bytes of the chunk desc describes
	// relaying: the relay counted the envelope against its peer's share
	// (relay_send.go) and is sending its chunks.
	relaying bool
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
	o = &Outlet{r: r, owner: t.Rank, index: t.Address.Index, inbox: t.Inbox, relayed: r.relay != nil}
	o.cur.reset(r.frameBytes())
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
// for room in the target ring. Envelopes that fit a slot are batched into
// frames; larger ones take the rendezvous path through this rank's staging
// window. An envelope over MaxMessageBytes gives ErrMessageTooLarge; a
// target that does not exist gives its error. Either way nothing was
// queued and the caller reports the dead letter. Envelopes that fail later
// (a ring gone corrupt) are reported to the Handler.
func (r *Rank) Send(t Target, body []byte) error {
	o, err := r.Outlet(t)
	if err != nil {
		return err
	}
	return o.Send(t.Address.Incarnation, body)
}

// CheckSize reports whether an envelope of n bytes may be sent:
// ErrMessageTooLarge if not. Every path checks it, same-rank sends
// included, so that placement never changes what can be sent.
func (r *Rank) CheckSize(n int) error {
	if n > r.cfg.MaxMessageBytes {
		return fmt.Errorf("%w: %d-byte envelope, the maximum is %d (actor.WithMaxMessageBytes)", ErrMessageTooLarge, n, r.cfg.MaxMessageBytes)
	}
	return nil
}

// Send queues one envelope body for incarnation inc of the outlet's ring;
// see Rank.Send. The outlet keeps a copy of body.
func (o *Outlet) Send(inc uint32, body []byte) error { return o.send(inc, body, false) }

// Give is Send for a body the caller hands over and never touches again: a
// large envelope is kept as it is instead of copied, and once it is staged
// its memory goes back to the rank's buffer pool if it came from there
// (Rank.Buffer).
func (o *Outlet) Give(inc uint32, body []byte) error { return o.send(inc, body, true) }

func (o *Outlet) send(inc uint32, body []byte, owned bool) error {
	r := o.r
	if r.closed.Load() {
		return fmt.Errorf("mailbox: send: %w", ErrClosed)
	}
	if err := r.CheckSize(len(body)); err != nil {
		return err
	}
	// Counted before the envelope can be taken anywhere, so that no rank
	// ever counts more done than sent (termination detection).
	r.sent.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.backlog.Add(1)
	if len(body)+FrameOverhead > r.cfg.SlotBytes {
		o.seal()
		if !owned {
			body = append(r.bufs.get(len(body))[:0], body...)
		}
		o.unstaged.Add(int64(len(body)))
		o.queued = append(o.queued, pending{large: &largeSend{inc: inc, body: body}})
		if !o.flushLocked(r) {
			r.markDirty(o)
		}
		return nil
	}
	if !o.cur.fits(len(body)) {
		o.seal()
	}
	o.cur.add(inc, body)
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

// WaitRoom waits until at most limit envelopes are waiting, and at most a
// staging window's worth of bytes of large envelopes is not staged yet, so
// that a sender outside any actor is slowed by a full mailbox or a slow
// reader of large messages.
//
// A target rank that closes or leaves while the sender waits ends the wait
// with ErrRankClosed: it is looked at once the backlog has not moved for a
// PresencePoll (its mailbox will never make room). While the backlog moves
// the target is plainly there, and no look is paid for: across hosts a
// look is a network round trip.
func (o *Outlet) WaitRoom(ctx context.Context, limit int) error {
	var idle Idler
	var since time.Time
	var seen int64
	for o.backlog.Load() > int64(limit) || o.unstaged.Load() > int64(o.r.cfg.StagingBytes) {
		o.r.kick()
		if err := idle.Pause(ctx); err != nil {
			return fmt.Errorf("%w: waiting for room in a mailbox of rank %d: %w", ErrMailboxFull, o.owner, err)
		}
		now := time.Now()
		if b := o.backlog.Load() + o.unstaged.Load(); since.IsZero() || b != seen {
			since, seen = now, b
			continue
		}
		if now.Sub(since) >= PresencePoll {
			since = now
			if o.r.PeerGone(o.owner) {
				return fmt.Errorf("%w: rank %d, while waiting for room in its mailbox", ErrRankClosed, o.owner)
			}
		}
	}
	return nil
}

// seal moves the open frame to the queue.
func (o *Outlet) seal() {
	if o.cur.count == 0 {
		return
	}
	o.queued = append(o.queued, pending{frame: append([]byte(nil), o.cur.bytes()...)})
	o.cur.reset(o.cur.limit)
}

// flushLocked puts queued frames and large envelopes, then the open frame,
// into the ring while it has room (and the staging window has blocks), and
// rings the doorbell once if it put any. It reports whether nothing is
// left.
func (o *Outlet) flushLocked(r *Rank) bool {
	if o.relayed {
		return o.flushRelay(r)
	}
	put := false
	for len(o.queued) > 0 {
		q := o.queued[0]
		if q.large != nil {
			done, moved := o.flushLarge(r, q.large)
			put = put || moved
			if !done {
				break
			}
		} else {
			ok, err := o.ch.TryPut(q.frame)
			if err != nil {
				r.deadFrame(q.frame, err)
				o.backlog.Add(-int64(frameCount(q.frame)))
			} else if !ok {
				break
			} else {
				r.countFrame(q.frame)
				o.backlog.Add(-int64(frameCount(q.frame)))
				put = true
			}
		}
		o.queued[0] = pending{}
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
		rang, err := ring(r.ctl, r.bells[o.owner], o.owner, o.tok)
		if err != nil {
			r.cfg.Logger.Error("mailbox: ringing a doorbell failed", zapErr(err))
		}
		if rang {
			r.wakePoller(o.owner)
		}
	}
	return len(o.queued) == 0 && o.cur.count == 0
}

// flushLarge stages the chunks of a large envelope and puts their
// descriptors into the ring, one frame each, while blocks and slots last.
// done reports that the envelope is through (or failed, reported as a dead
// letter); moved that a descriptor went into the ring.
func (o *Outlet) flushLarge(r *Rank, l *largeSend) (done, moved bool) {
	for {
		if l.desc == nil {
			n := min(r.cfg.ChunkBytes, len(l.body)-l.sent)
			b, tag, ok, err := r.stage.stage(o, l.body[l.sent:l.sent+n])
			if err != nil {
				o.failLarge(r, l, err)
				return true, moved
			}
			if !ok {
				return false, moved
			}
			o.unstaged.Add(-int64(n))
			d := descriptor{rank: r.rank, block: b, tag: tag, offset: uint64(l.sent), length: n, total: uint64(len(l.body))}
			var w frameWriter
			w.reset(frameHeader + entryHeader + descriptorBytes)
			w.addStaged(l.inc, &d)
			l.desc, l.block, l.tag, l.chunk = w.bytes(), b, tag, n
			l.sent += n
		}
		ok, err := o.ch.TryPut(l.desc)
		if err != nil {
			// The block stays lent: a put that failed in its last step
			// may have published the descriptor, and a receiver may read
			// the block and release it; otherwise it is lost with the
			// ring, which is broken anyway.
			o.failLarge(r, l, err)
			return true, moved
		}
		if !ok {
			return false, moved
		}
		moved = true
		r.stats.framesOut.Add(1)
		r.stats.bytesOut.Add(uint64(len(l.desc) + l.chunk))
		l.desc = nil
		if l.sent == len(l.body) {
			// Every byte is in the staging window: the body is free.
			r.bufs.put(l.body)
			l.body = nil
			r.stats.messagesOut.Add(1)
			o.backlog.Add(-1)
			return true, moved
		}
	}
}

// failLarge reports a large envelope that cannot go on as a dead letter.
// Chunks already read by the receiver are dropped there when this sender's
// next large envelope starts.
func (o *Outlet) failLarge(r *Rank, l *largeSend, err error) {
	o.unstaged.Add(-int64(len(l.body) - l.sent))
	r.h.DeadLetter("", l.body, err)
	r.done.Add(1)
	o.backlog.Add(-1)
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
		idle := Idler{Nap: r.flusherNap()}
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

// drain flushes everything queued, waiting for room until ctx ends, and,
// with acks, for the relay's acks: a relayed frame is in its mailbox once
// acked.
func (os *outlets) drain(ctx context.Context, r *Rank, acks bool) error {
	var idle Idler
	for {
		left, _ := r.flushDirty()
		if left == 0 && (!acks || r.relay == nil || r.relay.unacked.Load() == 0) {
			return nil
		}
		if err := idle.Pause(ctx); err != nil {
			if left == 0 {
				return fmt.Errorf("mailbox: close: %d relayed batch(es) not yet taken by their mailboxes: %w", r.relay.unacked.Load(), err)
			}
			return fmt.Errorf("mailbox: close: %d outlet(s) still hold messages for full mailboxes: %w", left, err)
		}
	}
}
