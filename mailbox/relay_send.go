package mailbox

import "time"

// The sending half of the relay (relay.go): an outlet whose target rank is
// reached through messages sends its frames and large envelopes as relay
// messages, within its credits, instead of putting them into the ring.

// inFlight is an item an outlet relayed and the receiver has not acked:
// a frame, or a large envelope of so many bytes. Like a frame in a ring, it
// no longer counts in the outlet's backlog: it is in the mailbox.
type inFlight struct {
	large int
}

// key is the relay key of the outlet's target: its ring index, or -1 for
// the inbox.
func (o *Outlet) key() int {
	if o.inbox {
		return -1
	}
	return o.index
}

// flushRelay is flushLocked for a relayed outlet: it sends queued frames
// and large envelopes, then the open frame, while credits last. It reports
// whether nothing is left to send (acks may still be due).
func (o *Outlet) flushRelay(r *Rank) bool {
	rl := r.relay
	moved := false
	for len(o.queued) > 0 {
		q := o.queued[0]
		if q.large != nil {
			done, sent := o.relayLarge(r, q.large)
			moved = moved || sent
			if !done {
				break
			}
		} else {
			if len(o.flying) >= rl.credits {
				break
			}
			o.relayFrame(r, q.frame)
			moved = true
		}
		o.queued[0] = pending{}
		o.queued = o.queued[1:]
	}
	if len(o.queued) == 0 && o.cur.count > 0 {
		if len(o.flying) < rl.credits {
			o.relayFrame(r, o.cur.bytes())
			o.cur.reset(o.cur.limit)
			moved = true
		} else {
			o.seal()
		}
	}
	if moved {
		o.last = time.Since(r.out.epoch)
	}
	return len(o.queued) == 0 && o.cur.count == 0
}

// relayFrame sends one frame; a frame that cannot be sent is reported as
// dead letters.
func (o *Outlet) relayFrame(r *Rank, frame []byte) {
	rl := r.relay
	p := &rl.peers[o.owner]
	p.mu.Lock()
	err := rl.send(o.owner, p, relayFrame, o.key(), frame)
	p.mu.Unlock()
	n := frameCount(frame)
	if err != nil {
		r.deadFrame(frame, err)
		o.backlog.Add(-int64(n))
		return
	}
	r.countFrame(frame)
	o.backlog.Add(-int64(n))
	o.flying = append(o.flying, inFlight{})
	rl.unacked.Add(1)
}

// relayLarge sends the chunks of a large envelope while the peer takes
// chunk sends. done reports that the envelope is through (or failed,
// reported as a dead letter); sent that a chunk went.
func (o *Outlet) relayLarge(r *Rank, l *largeSend) (done, sent bool) {
	rl := r.relay
	if !l.relaying && len(o.flying) >= rl.credits {
		return false, false
	}
	p := &rl.peers[o.owner]
	p.mu.Lock()
	defer p.mu.Unlock()
	if !l.relaying {
		if p.large > 0 && p.large+len(l.body) > r.cfg.StagingBytes {
			return false, false // the peer holds its share of large envelopes
		}
		// Counted once, however many calls its chunks take.
		p.large += len(l.body)
		l.relaying = true
	}
	total := len(l.body)
	for l.sent < len(l.body) {
		rl.retire(p)
		if p.chunks >= rl.chunks {
			return false, sent
		}
		n := min(r.cfg.ChunkBytes, len(l.body)-l.sent)
		var place [relayChunkBytes]byte
		appendChunkPlace(place[:0], chunkPlace{inc: l.inc, length: n, offset: uint64(l.sent), total: uint64(len(l.body))})
		err := rl.send(o.owner, p, relayChunk, o.key(), place[:])
		var s relaySend
		if err == nil {
			s.s, err = rl.msgs.Send(o.owner, l.body[l.sent:l.sent+n])
		}
		if err != nil {
			// A place without its bytes leaves the receiver waiting for
			// them; the channel is broken anyway (MPI failed).
			p.large -= total
			o.failLarge(r, l, err)
			return true, sent
		}
		s.chunk = true
		p.chunks++
		rl.chunking.Add(1)
		sent = true
		o.unstaged.Add(-int64(n))
		l.sent += n
		r.stats.bytesOut.Add(uint64(n))
		if l.sent == len(l.body) {
			s.body = l.body // back to the pool once the last chunk is sent
			l.body = nil
		}
		p.inflight = append(p.inflight, s)
	}
	r.stats.framesOut.Add(1)
	r.stats.messagesOut.Add(1)
	o.backlog.Add(-1)
	o.flying = append(o.flying, inFlight{large: total})
	rl.unacked.Add(1)
	return true, sent
}

// acked returns n credits of the outlet: its n oldest items in flight were
// taken by the receiver. Envelopes still queued are flushed again.
func (o *Outlet) acked(r *Rank, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n = min(n, len(o.flying))
	large := 0
	for _, f := range o.flying[:n] {
		large += f.large
	}
	if large > 0 {
		p := &r.relay.peers[o.owner]
		p.mu.Lock()
		p.large -= large
		p.mu.Unlock()
	}
	o.flying = o.flying[n:]
	r.relay.unacked.Add(-int64(n))
	if len(o.queued) > 0 || o.cur.count > 0 {
		r.markDirty(o)
	}
}
