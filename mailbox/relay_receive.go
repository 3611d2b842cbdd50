package mailbox

import (
	"errors"
	"fmt"

	"github.com/rmactor/rmactor/rma"
)

// The receiving half of the relay (relay.go): the poller takes what
// arrived, applies acks, delivers inbox frames at once, assembles large
// envelopes and queues mailbox frames beside their rings; a mailbox's
// consumer takes from its ring and its queue in turn, and every item it
// takes from the queue is acked to its sender.

// relayed is a frame (or a whole large envelope) waiting for a mailbox.
type relayed struct {
	src   int
	frame []byte // aliases buf
	buf   []byte // the message it came in, back to the pool once copied
	inc   uint32 // a large envelope's incarnation
	large []byte // a large envelope, assembled
}

// relayBudget bounds the messages one poller pass takes, so that doorbell
// tokens are answered between bursts.
const relayBudget = 64

// receive takes up to relayBudget messages and reports whether any came.
// It is the poller's (or, once the poller stopped, Close's).
func (rl *relay) receive() (got bool, err error) {
	for range relayBudget {
		a, ok, err := rl.msgs.Probe()
		if err != nil {
			return got, err
		}
		if !ok {
			break
		}
		got = true
		rl.arrive(a)
	}
	return got, nil
}

// relayIdlePolls is how many empty looks in a row make the poller send
// every ack owed (and complete finished sends): soon enough that a sender
// waiting for credits is not held up, late enough that a rank streaming
// frames does not answer each with an ack of its own.
const relayIdlePolls = 32

// idle is the poller's empty look number n in a row.
func (rl *relay) idle(n int) {
	if n >= relayIdlePolls {
		rl.flushAcks()
		rl.retireAll()
	}
}

// arrive handles one message.
func (rl *relay) arrive(a rma.Arrival) {
	r := rl.r
	src := a.Source()
	if e := rl.expect[src]; e != nil {
		rl.expect[src] = nil
		rl.chunkBytes(src, e, a)
		return
	}
	buf := r.bufs.get(a.Len())
	if err := a.Receive(buf); err != nil {
		r.bufs.put(buf)
		r.cfg.Logger.Error("mailbox: relay receive failed", zapErr(err))
		return
	}
	m, err := parseRelay(buf, rl.ackBuf)
	rl.ackBuf = m.acks
	if err != nil {
		r.bufs.put(buf)
		r.stats.badFrames.Add(1)
		r.cfg.Logger.Error("mailbox: dropped a malformed relay message", zapErr(fmt.Errorf("from rank %d: %w", src, err)))
		return
	}
	rl.applyAcks(src, m.acks)
	switch m.kind {
	case relayFrame:
		rl.deliverFrame(src, m.key, m.frame, buf)
	case relayChunk:
		r.bufs.put(buf)
		rl.chunkPlace(src, m.key, m.chunk)
	default:
		r.bufs.put(buf)
	}
}

// applyAcks returns credits to this rank's outlets for src.
func (rl *relay) applyAcks(src int, acks []relayAck) {
	r := rl.r
	for _, a := range acks {
		key := outletKey{src, int(a.key)}
		r.out.mu.RLock()
		o, ok := r.out.m[key]
		r.out.mu.RUnlock()
		if !ok || !o.relayed {
			r.cfg.Logger.Error("mailbox: relay ack for no relayed outlet",
				zapErr(fmt.Errorf("%w: rank %d acked %d for key %d", ErrBadFrame, src, a.taken, a.key)))
			continue
		}
		o.acked(r, int(a.taken))
	}
}

// target finds the ring of key; nil with the reason if there is none.
func (rl *relay) target(key int) (*ringSlot, error) {
	if key >= len(rl.r.pool.slots) {
		return nil, fmt.Errorf("%w: mailbox %d, rank %d has room for %d", ErrBadAddress, key, rl.r.rank, len(rl.r.pool.slots))
	}
	if s := rl.r.pool.slots[key].Load(); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: mailbox %d of rank %d was never made", ErrBadAddress, key, rl.r.rank)
}

// deliverFrame hands a relayed frame to the inbox at once, or queues it for
// its mailbox.
func (rl *relay) deliverFrame(src, key int, frame, buf []byte) {
	r := rl.r
	if key == -1 {
		rl.entries = rl.inboxFrame(frame, rl.entries)
		r.bufs.put(buf)
		rl.owe(src, key, false)
		return
	}
	s, err := rl.target(key)
	if err != nil {
		rl.deadFrame(frame, err)
		r.bufs.put(buf)
		rl.owe(src, key, false)
		return
	}
	rl.enqueue(s, relayed{src: src, frame: frame, buf: buf})
}

// inboxFrame delivers the entries of one inbox frame, as drainInbox does.
func (rl *relay) inboxFrame(frame []byte, entries []Entry) []Entry {
	r := rl.r
	entries, err := ParseFrame(frame, entries[:0])
	entries = r.inAsm.resolve(entries)
	r.stats.received(frame, len(entries))
	if err != nil {
		r.stats.badFrames.Add(1)
		r.cfg.Logger.Error("mailbox: dropped a malformed relayed inbox frame", zapErr(err))
		return entries
	}
	for _, e := range entries {
		if !r.h.Inbox(e.Body) {
			r.done.Add(1)
		}
		r.recycle(e)
	}
	return entries
}

// deadFrame reports every envelope of a relayed frame with no mailbox.
func (rl *relay) deadFrame(frame []byte, reason error) {
	r := rl.r
	entries, err := ParseFrame(frame, rl.entries[:0])
	rl.entries = entries
	r.stats.received(frame, len(entries))
	if err != nil {
		r.stats.badFrames.Add(1)
		r.cfg.Logger.Error("mailbox: dropped a malformed relayed frame", zapErr(err))
		return
	}
	for _, e := range entries {
		r.h.DeadLetter("", e.Body, reason)
		r.done.Add(1)
	}
}

// enqueue queues an item for s's mailbox and has the mailbox run, as a
// doorbell token would; a ring no actor holds is drained as dead letters.
func (rl *relay) enqueue(s *ringSlot, it relayed) {
	r := rl.r
	s.mu.Lock()
	s.relayQ = append(s.relayQ, it)
	s.high.raise(int64(len(s.relayQ)))
	mb := s.mb
	if mb == nil {
		if !r.closing.Load() {
			rl.frame, rl.entries = r.drainUnbound(s, rl.frame, rl.entries)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	mb.ready.Store(true)
	if mb.status.CompareAndSwap(idle, running) {
		r.dispatch(mb)
	}
}

// chunkPlace takes the place of a chunk whose bytes come next from src.
// A large envelope that cannot be delivered is discarded chunk by chunk,
// and reported as a dead letter at its last chunk.
func (rl *relay) chunkPlace(src, key int, c chunkPlace) {
	r := rl.r
	e := &chunkExpect{key: key, place: c}
	rl.expect[src] = e
	k := relayKey{src, key}
	p := rl.parts[k]
	var err error
	if c.offset == 0 {
		delete(rl.failed, k)
		if p != nil {
			rl.dropPart(k)
			r.stats.badFrames.Add(1)
			r.cfg.Logger.Error("mailbox: dropped a relayed large message cut short by its sender",
				zapErr(fmt.Errorf("%w: rank %d started another after %d of %d bytes", ErrBadFrame, src, p.got, len(p.buf))))
		}
		if key != -1 {
			_, err = rl.target(key)
		}
		if err == nil && c.total > uint64(r.cfg.MaxMessageBytes) {
			err = fmt.Errorf("%w: %d-byte envelope from rank %d, the maximum is %d", ErrBadFrame, c.total, src, r.cfg.MaxMessageBytes)
		}
		if err == nil {
			p = &partial{inc: c.inc, buf: r.bufs.get(int(c.total))}
			rl.parts[k] = p
			r.stats.assemblingHigh.raise(r.stats.assembling.Add(int64(c.total)))
		}
	} else if ferr, failing := rl.failed[k]; failing {
		err = ferr
	} else if p == nil || p.got != c.offset || uint64(len(p.buf)) != c.total || p.inc != c.inc {
		err = fmt.Errorf("%w: relayed chunk at %d of a %d-byte envelope from rank %d continues nothing", ErrBadFrame, c.offset, c.total, src)
	}
	if err != nil {
		if _, failing := rl.failed[k]; !failing {
			if !errors.Is(err, ErrBadAddress) {
				r.stats.badFrames.Add(1)
			}
			r.cfg.Logger.Error("mailbox: dropping a relayed large message", zapErr(err))
			rl.failed[k] = err
		}
		rl.dropPart(k)
		e.err = err
		return // e.p stays nil: the bytes are discarded
	}
	e.p = p
}

// chunkBytes receives the bytes of the chunk e placed, and delivers the
// envelope once whole.
func (rl *relay) chunkBytes(src int, e *chunkExpect, a rma.Arrival) {
	r := rl.r
	c := e.place
	k := relayKey{src, e.key}
	last := c.offset+uint64(c.length) == c.total
	if e.p != nil && a.Len() != c.length {
		e.err = fmt.Errorf("%w: chunk of %d bytes from rank %d, placed as %d", ErrBadFrame, a.Len(), src, c.length)
		r.stats.badFrames.Add(1)
		r.cfg.Logger.Error("mailbox: dropped a relayed large message", zapErr(e.err))
		rl.dropPart(k)
		rl.failed[k] = e.err
		e.p = nil
	}
	if e.p != nil {
		if err := a.Receive(e.p.buf[c.offset : c.offset+uint64(c.length)]); err != nil {
			e.err = fmt.Errorf("mailbox: relay receive: %w", err)
			rl.dropPart(k)
			rl.failed[k] = e.err
			e.p = nil
		}
	} else {
		scratch := r.bufs.get(a.Len())
		_ = a.Receive(scratch)
		r.bufs.put(scratch)
	}
	if e.p == nil {
		if last {
			// Reported once, and acked: the sender waits for the
			// envelope to be taken.
			delete(rl.failed, k)
			r.h.DeadLetter("", nil, e.err)
			r.done.Add(1)
			rl.owe(src, e.key, true)
		}
		return
	}
	r.stats.bytesIn.Add(uint64(c.length))
	e.p.got += uint64(c.length)
	if !last {
		return
	}
	body := e.p.buf
	rl.dropPart(k)
	if e.key == -1 {
		r.stats.framesIn.Add(1)
		r.stats.messagesIn.Add(1)
		if !r.h.Inbox(body) {
			r.done.Add(1)
		}
		r.bufs.put(body)
		rl.owe(src, e.key, true)
		return
	}
	s, err := rl.target(e.key)
	if err != nil {
		r.h.DeadLetter("", body, err)
		r.done.Add(1)
		r.bufs.put(body)
		rl.owe(src, e.key, true)
		return
	}
	rl.enqueue(s, relayed{src: src, inc: e.p.inc, large: body})
}

// dropPart forgets the envelope being assembled for k, if any (its buffer
// is not recycled: it may be delivered already).
func (rl *relay) dropPart(k relayKey) {
	if p, ok := rl.parts[k]; ok {
		rl.r.stats.assembling.Add(-int64(len(p.buf)))
		delete(rl.parts, k)
	}
}

// nextLocked takes the next frame for s's consumer, from its ring and its
// relay queue in turn, and returns its entries, resolved; ok is false when
// both are empty. The caller holds s.mu. Failures are logged and counted
// here.
func (s *ringSlot) nextLocked(r *Rank, frame []byte, entries []Entry) ([]byte, []Entry, bool) {
	s.relayTurn = !s.relayTurn
	for try := range 2 {
		if s.relayTurn == (try == 0) {
			if len(s.relayQ) == 0 {
				continue
			}
			it := s.relayQ[0]
			s.relayQ[0] = relayed{}
			s.relayQ = s.relayQ[1:]
			r.relay.owe(it.src, s.index, it.large != nil)
			if it.large != nil {
				r.stats.framesIn.Add(1)
				r.stats.messagesIn.Add(1)
				return frame, append(entries[:0], Entry{Incarnation: it.inc, Body: it.large, pooled: true}), true
			}
			frame = append(frame[:0], it.frame...)
			r.bufs.put(it.buf)
		} else {
			if r.relay != nil {
				continue // a relaying rank's rings stay empty
			}
			var ok bool
			var err error
			frame, ok, err = s.takeLocked(frame[:0])
			if err != nil {
				r.cfg.Logger.Error("mailbox: ring take", zapErr(err))
			}
			if !ok {
				continue
			}
		}
		var err error
		entries, err = ParseFrame(frame, entries[:0])
		entries = s.asm.resolve(entries)
		r.stats.received(frame, len(entries))
		if err != nil {
			r.stats.badFrames.Add(1)
			r.cfg.Logger.Error("mailbox: dropped a malformed frame", zapErr(err))
		}
		return frame, entries, true
	}
	return frame, entries, false
}
