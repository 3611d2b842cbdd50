package rma

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
)

// The ring protocol lives in this file and nowhere else. It is written only in
// terms of Window operations, so every backend runs exactly the same
// protocol. docs/protocol.md explains it and argues its correctness.
//
// Layout of a ring at byte offset base of the owner's segment:
//
//	base+0    magic        constant ringMagic once initialised, 0 when freed
//	base+8    capacity     number of slots
//	base+16   message size largest payload in bytes
//	base+24   generation   distinguishes reuses of the same arena span
//	base+32   opened       1 once the first claim was made
//	base+40   start        the first ticket (0 unless a test moved it)
//	base+48   disagreed    ranks whose arguments differed at creation
//	base+56   joined       ranks that created the channel with this owner
//	base+64   tail         next ticket to put      (own cache line)
//	base+128  head         next ticket to take     (own cache line)
//	base+192  limit        start ticket + sum of all claims (own cache line)
//	base+256  slots        capacity × stride bytes
//
// Each slot is [seq uint64][length uint64][payload, message size rounded up
// to 8]. The slot of ticket t is (t - start) mod capacity. Its seq word is 2t while the
// slot is free for ticket t, 2t+1 once ticket t's message is committed, and
// 2(t+capacity) once that message was taken (free for the next round). The
// doubling keeps "committed" and "free again" apart even with one slot.
const (
	hdrMagic    = 0
	hdrCapacity = 8
	hdrMsgSize  = 16
	hdrGen      = 24
	hdrOpened   = 32
	hdrStart    = 40
	hdrDisagree = 48
	hdrJoined   = 56
	offTail     = 64
	offHead     = 128
	offLimit    = 192
	offSlots    = 256

	slotSeq  = 0
	slotLen  = 8
	slotData = 16

	ringMagic uint64 = 0x314c4e4843524d52 // "RMRCHNL1" little-endian

	// MaxMessageSize bounds a channel's message size (1 GiB).
	MaxMessageSize = 1 << 30
)

// freeSeq and committedSeq are a slot's seq word when it is free for ticket
// t, and when ticket t's message is committed in it.
func freeSeq(t uint64) uint64      { return 2 * t }
func committedSeq(t uint64) uint64 { return 2*t + 1 }

func slotStride(msgSize int) int { return slotData + (msgSize+7)&^7 }

// ringBytes is the number of window bytes a ring of this shape occupies.
func ringBytes(capacity, msgSize int) (int, error) {
	if capacity < 1 {
		return 0, fmt.Errorf("%w: capacity %d: must be at least 1", ErrInvalidArgument, capacity)
	}
	if msgSize < 0 || msgSize > MaxMessageSize {
		return 0, fmt.Errorf("%w: message size %d: must be in [0, %d]", ErrInvalidArgument, msgSize, MaxMessageSize)
	}
	stride := slotStride(msgSize)
	if capacity > (math.MaxInt-offSlots)/stride {
		return 0, fmt.Errorf("%w: capacity %d × slot %d bytes overflows", ErrInvalidArgument, capacity, stride)
	}
	return offSlots + capacity*stride, nil
}

// ring is one rank's view of a ring: where it is and how to reach it.
type ring struct {
	win      Window
	owner    int
	base     int
	capacity uint64
	mask     uint64 // capacity-1 when capacity is a power of two, else 0
	msgSize  int
	stride   int
	start    uint64      // the first ticket, read from the header
	local    []byte      // the owner's segment, for reads; nil elsewhere and under a separate memory model
	initMem  []byte      // the owner's segment, for init; nil on other ranks
	owned    bool        // this rank owns the ring
	opened   atomic.Bool // this rank has seen the ring opened
}

func newRing(win Window, owner, base, capacity, msgSize int, isOwner bool) *ring {
	r := &ring{
		win: win, owner: owner, base: base,
		capacity: uint64(capacity), msgSize: msgSize, stride: slotStride(msgSize),
	}
	if capacity&(capacity-1) == 0 {
		r.mask = uint64(capacity) - 1
	}
	if isOwner {
		r.owned = true
		r.initMem = win.Local()
		r.local = r.initMem
		if sm, ok := win.(SeparateMemory); ok && sm.SeparateMemory() {
			r.local = nil // read through window operations, never a stale copy
		}
	}
	return r
}

// slotOff is the offset of ticket t's slot. Slots are indexed from the
// start ticket, so the mapping stays continuous when tickets wrap past 2^64
// whatever the capacity.
func (r *ring) slotOff(t uint64) int {
	i := t - r.start
	if r.mask != 0 || r.capacity == 1 {
		i &= r.mask
	} else {
		i %= r.capacity
	}
	return r.base + offSlots + int(i)*r.stride
}

// load reads a ring word: the owner from its own memory, others remotely.
func (r *ring) load(off int) (uint64, error) {
	if r.local != nil {
		return LoadLocal(r.local, off), nil
	}
	return r.win.Load(r.owner, off)
}

// init writes a fresh ring into the owner's memory. No other rank may reach
// it yet; the magic word is written last.
func (r *ring) init(start, gen uint64, claims int64, open bool) {
	m := r.initMem
	r.start = start
	StoreLocal(m, r.base+hdrCapacity, r.capacity)
	StoreLocal(m, r.base+hdrMsgSize, uint64(r.msgSize))
	StoreLocal(m, r.base+hdrGen, gen)
	opened := uint64(0)
	if open {
		opened = 1
	}
	StoreLocal(m, r.base+hdrOpened, opened)
	StoreLocal(m, r.base+hdrStart, start)
	StoreLocal(m, r.base+offTail, start)
	StoreLocal(m, r.base+offHead, start)
	StoreLocal(m, r.base+offLimit, start+uint64(claims))
	for i := uint64(0); i < r.capacity; i++ {
		StoreLocal(m, r.slotOff(start+i)+slotSeq, freeSeq(start+i))
	}
	StoreLocal(m, r.base+hdrMagic, ringMagic)
}

// verify checks that the ring header matches this rank's view of its shape.
func (r *ring) verify(gen uint64) error {
	want := [...]struct {
		off  int
		name string
		v    uint64
	}{
		{hdrMagic, "magic", ringMagic},
		{hdrCapacity, "capacity", r.capacity},
		{hdrMsgSize, "message size", uint64(r.msgSize)},
		{hdrGen, "generation", gen},
	}
	for _, w := range want {
		got, err := r.load(r.base + w.off)
		if err != nil {
			return err
		}
		if got != w.v {
			return fmt.Errorf("ring at rank %d offset %d: %s is %d, expected %d", r.owner, r.base, w.name, got, w.v)
		}
	}
	start, err := r.load(r.base + hdrStart)
	r.start = start
	return err
}

// tryPut reserves the slot of the next ticket and commits msg into it. It
// returns false, having changed nothing, when the ring is full. hint is the
// caller's guess of the tail; it is updated after a successful put.
//
// A ticket is reserved only when its slot is already free (seq == t), so a
// producer never holds a ticket while it waits: giving up (a cancelled
// context) leaves nothing half done.
func (r *ring) tryPut(hint *atomic.Uint64, msg []byte) (bool, error) {
	t := hint.Load()
	for {
		slot := r.slotOff(t)
		seq, err := r.load(slot + slotSeq)
		if err != nil {
			return false, err
		}
		switch d := int64(seq - freeSeq(t)); {
		case d < 0:
			// The slot still holds the message of ticket t-capacity, so
			// ticket t was never reserved: the tail is t and the ring is full.
			return false, nil
		case d > 0:
			// Ticket t was reserved by someone else: the hint is stale, and
			// the tail, read after that seq, is past t.
			tail, err := r.load(r.base + offTail)
			if err != nil {
				return false, err
			}
			if int64(tail-t) <= 0 {
				return false, r.corrupt(slot, seq, "tail", tail)
			}
			t = tail
			continue
		}
		prev, err := r.win.CompareAndSwap(r.owner, r.base+offTail, t, t+1)
		if err != nil {
			return false, err
		}
		if prev != t {
			t = prev
			continue
		}
		hint.Store(t + 1)
		return true, r.win.Publish(r.owner, slot+slotLen, uint64(len(msg)), msg, slot+slotSeq, committedSeq(t))
	}
}

// takeStatus says what tryTake found.
type takeStatus int

const (
	took      takeStatus = iota // a message was taken
	empty                       // a claimed message has not been committed yet
	noMore                      // every claimed message was taken
	notOpened                   // no claim has been made yet
)

// tryTake takes the message at the head if claims cover it and it is
// committed, appending its payload to dst. The head is advanced only while
// it is below the claim limit, so takes never overshoot the claims.
func (r *ring) tryTake(dst []byte) ([]byte, takeStatus, error) {
	if !r.opened.Load() {
		v, err := r.load(r.base + hdrOpened)
		if err != nil {
			return dst, empty, err
		}
		if v == 0 {
			return dst, notOpened, nil
		}
		r.opened.Store(true)
	}
	for {
		// Head before limit: if head >= limit when limit is read, then at
		// that instant every claimed message had been taken.
		h, err := r.load(r.base + offHead)
		if err != nil {
			return dst, empty, err
		}
		lim, err := r.load(r.base + offLimit)
		if err != nil {
			return dst, empty, err
		}
		if int64(lim-h) <= 0 {
			return dst, noMore, nil
		}
		slot := r.slotOff(h)
		seq, err := r.load(slot + slotSeq)
		if err != nil {
			return dst, empty, err
		}
		switch d := int64(seq - committedSeq(h)); {
		case d < 0:
			return dst, empty, nil
		case d > 0:
			// Ticket h was taken by another consumer, which advanced the
			// head before it freed the slot: a head read now is past h.
			again, err := r.load(r.base + offHead)
			if err != nil {
				return dst, empty, err
			}
			if again == h {
				return dst, empty, r.corrupt(slot, seq, "head", h)
			}
			continue
		}
		prev, err := r.win.CompareAndSwap(r.owner, r.base+offHead, h, h+1)
		if err != nil {
			return dst, empty, err
		}
		if prev != h {
			continue
		}
		out, readErr := r.read(slot, dst)
		// Free the slot even when its bytes were bad, so the ring goes on.
		if err := r.win.Store(r.owner, slot+slotSeq, freeSeq(h+r.capacity)); err != nil {
			return dst, took, err
		}
		return out, took, readErr
	}
}

func (r *ring) corrupt(slot int, seq uint64, counter string, v uint64) error {
	return fmt.Errorf("%w: slot at offset %d of rank %d has sequence %d, impossible with %s %d",
		ErrCorrupt, slot, r.owner, seq, counter, v)
}

// read appends the payload of the committed slot at offset slot to dst.
func (r *ring) read(slot int, dst []byte) ([]byte, error) {
	n, err := r.load(slot + slotLen)
	if err != nil {
		return dst, err
	}
	if n > uint64(r.msgSize) {
		return dst, fmt.Errorf("%w: slot at offset %d of rank %d holds length %d, over the message size %d",
			ErrCorrupt, slot, r.owner, n, r.msgSize)
	}
	start := len(dst)
	dst = slices.Grow(dst, int(n))[:start+int(n)]
	if r.local != nil {
		copy(dst[start:], r.local[slot+slotData:])
		return dst, nil
	}
	if err := r.win.Get(r.owner, slot+slotData, dst[start:]); err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// maxOutstanding bounds the claims since the start ticket: tickets and
// claims are compared by signed 64-bit difference.
const maxOutstanding = 1 << 62

// claim raises the claim limit by n and opens the ring.
func (r *ring) claim(n int64) error {
	old, err := r.win.FetchAdd(r.owner, r.base+offLimit, uint64(n))
	if err != nil {
		return err
	}
	if old-r.start+uint64(n) > maxOutstanding {
		// Undo: the limit must stay comparable with the tickets.
		if _, err := r.win.FetchAdd(r.owner, r.base+offLimit, -uint64(n)); err != nil {
			return err
		}
		return fmt.Errorf("%w: claims would total over 2^62", ErrInvalidArgument)
	}
	if r.opened.Load() {
		return nil
	}
	// The limit was raised (FetchAdd completed) before opened is set, so a
	// consumer that sees the ring opened also sees this claim.
	if err := r.win.Store(r.owner, r.base+hdrOpened, 1); err != nil {
		return err
	}
	r.opened.Store(true)
	return nil
}

// counters reads tail, head and limit.
func (r *ring) counters() (tail, head, limit uint64, err error) {
	if tail, err = r.load(r.base + offTail); err != nil {
		return
	}
	if head, err = r.load(r.base + offHead); err != nil {
		return
	}
	limit, err = r.load(r.base + offLimit)
	return
}
