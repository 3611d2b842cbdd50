package mailbox

// poll is the rank's dispatcher loop: it answers doorbell tokens, delivers
// the inbox itself and schedules mailboxes whose rings have frames. Its work
// per token is constant however many actors the rank hosts.
func (r *Rank) poll() {
	defer r.wg.Done()
	var tokBuf [8]byte
	var frame []byte
	var entries []Entry
	var idle Idler
	for {
		tok, ok, err := answer(r.ctl, r.bell, r.rank, tokBuf[:])
		if err != nil {
			r.cfg.Logger.Error("mailbox: doorbell", zapErr(err))
		}
		if ok {
			idle.Reset()
			if tok == inboxToken {
				frame, entries = r.drainInbox(frame, entries)
			} else {
				frame, entries = r.ringReady(tok, frame, entries)
			}
			continue
		}
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
		if err != nil {
			r.stats.badFrames.Add(1)
			r.cfg.Logger.Error("mailbox: dropped a malformed inbox frame", zapErr(err))
			continue
		}
		for _, e := range entries {
			r.h.Inbox(e.Body)
		}
	}
}

// ringReady hands a ring with frames to its mailbox, or drains a ring no
// actor holds, reporting its envelopes as dead letters.
func (r *Rank) ringReady(tok uint64, frame []byte, entries []Entry) ([]byte, []Entry) {
	index := int(tok - 1)
	if index < 0 || index >= len(r.pool.slots) {
		r.cfg.Logger.Error("mailbox: doorbell token names no ring", zapErr(ErrBadAddress))
		return frame, entries
	}
	s := r.pool.slots[index].Load()
	if s == nil {
		r.cfg.Logger.Error("mailbox: doorbell token for a ring never created", zapErr(ErrBadAddress))
		return frame, entries
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mb != nil {
		s.mb.notify()
		return frame, entries
	}
	for {
		var ok bool
		var err error
		frame, ok, err = s.takeLocked(frame[:0])
		if err != nil {
			r.cfg.Logger.Error("mailbox: ring take", zapErr(err))
			return frame, entries
		}
		if !ok {
			return frame, entries
		}
		entries, err = ParseFrame(frame, entries[:0])
		if err != nil {
			r.stats.badFrames.Add(1)
			r.cfg.Logger.Error("mailbox: dropped a malformed frame", zapErr(err))
			continue
		}
		for _, e := range entries {
			r.h.DeadLetter(e.Body, ErrStale)
		}
	}
}
