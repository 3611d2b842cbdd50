package mailbox

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/rmactor/rmactor/rma"
)

// ringSlot is one mailbox ring of a rank's pool. A ring is never freed while
// the rank lives, so a sender holding an old address always writes into a
// ring of the right shape; its envelopes carry the old incarnation and end
// as dead letters.
type ringSlot struct {
	index int
	tok   uint64
	ch    *rma.Channel

	// mu makes the bound mailbox and the poller's drain of an unbound ring
	// mutually exclusive consumers.
	mu    sync.Mutex
	mb    *Mailbox   // guarded by mu
	inc   uint32     // guarded by the pool's mutex
	taken uint64     // guarded by mu
	high  *highWater // the rank's ring high-water mark
	// asm reads large envelopes arriving in the ring; used by its one
	// consumer at a time (the bound mailbox, or the drain of an unbound
	// ring under mu).
	asm assembler
	// relayQ holds frames relayed from other ranks (relay.go), taken in
	// turn with the ring's; guarded by mu.
	relayQ    []relayed
	relayTurn bool
}

// claimTopUp: rings are opened with rma.MaxClaim claims; every
// claimTopUp takes another claimTopUp are added, so a ring never runs dry.
const claimTopUp = rma.MaxClaim / 2

func (s *ringSlot) takeLocked(dst []byte) ([]byte, bool, error) {
	out, ok, err := s.ch.TryTakeAppend(dst)
	if ok {
		s.taken++
		if s.taken%ringSampleEvery == 1 {
			if st, serr := s.ch.Stats(); serr == nil {
				s.high.raise(int64(st.Len()) + 1) // and the frame just taken
			}
		}
		if s.taken%claimTopUp == 0 {
			err = s.ch.Claim(claimTopUp)
		}
	}
	return out, ok, err
}

// pool hands out mailbox rings. Ring i lies at a fixed offset of the arena,
// so other ranks compute its handle from the index alone.
type pool struct {
	mu       sync.Mutex
	slots    []atomic.Pointer[ringSlot] // by index; nil until created
	created  int
	free     []int
	reserved map[int]uint32
}

// reserve picks a ring for a new actor and returns its address.
func (r *Rank) reserve() (Address, error) {
	p := &r.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.closed.Load() {
		return Address{}, ErrClosed
	}
	var s *ringSlot
	if n := len(p.free); n > 0 {
		s = p.slots[p.free[n-1]].Load()
		p.free = p.free[:n-1]
	} else {
		if p.created == len(p.slots) {
			return Address{}, fmt.Errorf("%w: rank %d hosts %d mailbox rings, its arena's limit (raise the arena size)",
				ErrPoolExhausted, r.rank, p.created)
		}
		ch, err := r.arena.NewChannel(r.cfg.Capacity, r.cfg.SlotBytes, rma.WithClaims(rma.MaxClaim))
		if err != nil {
			return Address{}, fmt.Errorf("mailbox: new ring %d on rank %d: %w", p.created, r.rank, err)
		}
		if h, _ := ch.Handle(); h != r.ringHandle(r.rank, p.created) {
			_ = ch.Close(context.Background())
			return Address{}, fmt.Errorf("%w: ring %d at %+v, expected %+v", rma.ErrCorrupt, p.created, h, r.ringHandle(r.rank, p.created))
		}
		s = &ringSlot{index: p.created, tok: mailboxToken(p.created), ch: ch, high: &r.stats.ringHigh, asm: assembler{r: r}}
		p.slots[p.created].Store(s)
		p.created++
	}
	if err := r.ctl.Store(r.rank, claimsOffset(s.tok), claimWord(s.inc, false, 0)); err != nil {
		p.free = append(p.free, s.index)
		return Address{}, err
	}
	p.reserved[s.index] = s.inc
	return Address{Index: s.index, Incarnation: s.inc}, nil
}

// unreserve returns a reserved ring that no actor bound.
func (r *Rank) unreserve(a Address) {
	p := &r.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	inc, ok := p.reserved[a.Index]
	if !ok || inc != a.Incarnation {
		return
	}
	delete(p.reserved, a.Index)
	// The id may have escaped (an actor spawned with a mailbox of its own
	// kind): retire the incarnation so that the address is never reused.
	s := p.slots[a.Index].Load()
	s.inc++
	if err := r.ctl.Store(r.rank, claimsOffset(s.tok), claimWord(s.inc, false, 0)); err != nil {
		r.cfg.Logger.Error("mailbox: retiring a ring failed; it is not reused", zapErr(err))
		return
	}
	p.free = append(p.free, a.Index)
}

// bind gives a reserved ring to its mailbox and writes the actor's claims.
func (r *Rank) bind(a Address, m *Mailbox) error {
	p := &r.pool
	p.mu.Lock()
	inc, ok := p.reserved[a.Index]
	if !ok || inc != a.Incarnation {
		p.mu.Unlock()
		return fmt.Errorf("%w: %s is not reserved on rank %d", ErrBadAddress, a, r.rank)
	}
	delete(p.reserved, a.Index)
	s := p.slots[a.Index].Load()
	p.mu.Unlock()
	if err := r.ctl.Store(r.rank, claimsOffset(s.tok), claimWord(a.Incarnation, m.opts.governed, m.opts.claims)); err != nil {
		r.unreserve(a)
		return err
	}
	// The mailbox's ring and incarnation are set before the ring is
	// published to the poller (under s.mu), which may run the mailbox at
	// once for a token from an earlier sender.
	m.slot = s
	m.inc = a.Incarnation
	s.mu.Lock()
	s.mb = m
	s.mu.Unlock()
	return nil
}

// release unbinds a stopped actor's ring and retires its incarnation:
// claims and envelopes for it fail from now on.
func (r *Rank) release(s *ringSlot, m *Mailbox) {
	s.mu.Lock()
	if s.mb == m {
		s.mb = nil
		// A frame committed after the mailbox's last take, whose token
		// the poller answered while s.mb was still m, would be marked
		// for a mailbox that no longer looks: take it now, as the poller
		// does for an unbound ring (models/doorbell.pml, ACTOR_STOPS).
		if !r.closing.Load() {
			r.drainUnbound(s, nil, nil)
		}
	}
	s.mu.Unlock()
	p := &r.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	s.inc++
	if err := r.ctl.Store(r.rank, claimsOffset(s.tok), claimWord(s.inc, false, 0)); err != nil {
		r.cfg.Logger.Error("mailbox: retiring a ring failed; it is not reused", zapErr(err))
		return
	}
	p.free = append(p.free, s.index)
}

// ringHandle is the handle of mailbox ring index on rank owner.
func (r *Rank) ringHandle(owner, index int) rma.Handle {
	return rma.Handle{
		Rank:        owner,
		Offset:      r.layout.ringsBase + index*r.layout.ringBytes,
		Capacity:    r.cfg.Capacity,
		MessageSize: r.cfg.SlotBytes,
		Generation:  uint64(firstRingGeneration + index),
	}
}
