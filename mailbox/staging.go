package mailbox

import (
	"context"
	"fmt"
	"sync"

	"github.com/rmactor/rmactor/rma"
)

// stager is the sending side of the rendezvous: a rank's staging window,
// cut into blocks of ChunkBytes, and a state word per block at the end of
// the rank's control window (so that the staging window is exactly the
// configured size).
//
// The sender owns the blocks. To stage a chunk it takes a free block under a
// fresh tag, copies the chunk into it, and only then sends the descriptor
// (block, tag) through the target's ring. The receiver gets the chunk and
// then stores the tag into the block's state word; a block is free again
// once its state word equals the tag it was lent under. Tags are unique per
// rank and never 0, so a late or forged release can never free a later use
// of the block (models/rendezvous.pml checks these steps).
//
// A slow receiver must not hold every block: one outlet holds at most
// half of them, and outlets to mailbox rings together at most three
// quarters, so replies and other inbox traffic (drained by each rank's
// poller, which never blocks on an actor) always find blocks.
type stager struct {
	win       rma.Window // the blocks
	ctl       rma.Window // the state words, from stateBase
	stateBase int
	self      int
	chunk     int
	nblocks   int
	separate  bool // the staging window is under MPI's separate memory model
	ctlSep    bool // so is the control window

	mu       sync.Mutex
	free     []int      // blocks not lent
	lent     []int      // blocks lent, in no order
	tags     []uint64   // by block: the tag it is lent under, 0 if free
	holder   []*Outlet  // by block: who holds it
	nextTag  uint64     // last tag handed out
	ringHeld int        // blocks held by outlets to mailbox rings
	perOut   int        // most blocks one outlet holds
	ringMax  int        // most blocks outlets to rings hold together
	high     *highWater // the rank's most blocks lent at once
}

// stagingBlocks is how many blocks the staging window has.
func stagingBlocks(cfg Config) int { return cfg.StagingBytes / cfg.ChunkBytes }

// newStager allocates the staging window (collective); the state words
// lie in ctl from stateBase, zeroed.
func newStager(ctx context.Context, w rma.World, cfg Config, ctl rma.Window, stateBase int) (*stager, error) {
	n := stagingBlocks(cfg)
	win, err := w.Allocate(ctx, n*cfg.ChunkBytes)
	if err != nil {
		return nil, fmt.Errorf("mailbox: staging window: %w", err)
	}
	s := &stager{win: win, ctl: ctl, stateBase: stateBase, self: w.Rank(), chunk: cfg.ChunkBytes, nblocks: n,
		tags: make([]uint64, n), holder: make([]*Outlet, n),
		perOut: max(1, n/2), ringMax: max(1, n-n/4), high: new(highWater)}
	s.separate = isSeparate(win)
	s.ctlSep = isSeparate(ctl)
	for b := n - 1; b >= 0; b-- {
		s.free = append(s.free, b)
	}
	return s, nil
}

func isSeparate(w rma.Window) bool {
	sm, ok := w.(rma.SeparateMemory)
	return ok && sm.SeparateMemory()
}

// stateOffset is where block's state word lies in the control window.
func (s *stager) stateOffset(block int) int { return s.stateBase + block*8 }

func (s *stager) blockOffset(block int) int { return block * s.chunk }

// stateWord reads block's state word in this rank's own control window.
func (s *stager) stateWord(block int) (uint64, error) {
	if s.ctlSep {
		return s.ctl.Load(s.self, s.stateOffset(block))
	}
	return rma.LoadLocal(s.ctl.Local(), s.stateOffset(block)), nil
}

// reclaim frees the lent blocks whose receivers released them. The caller
// holds s.mu.
func (s *stager) reclaim() error {
	for i := 0; i < len(s.lent); {
		b := s.lent[i]
		w, err := s.stateWord(b)
		if err != nil {
			return err
		}
		if w != s.tags[b] {
			i++
			continue
		}
		s.giveBack(b)
		s.lent[i] = s.lent[len(s.lent)-1]
		s.lent = s.lent[:len(s.lent)-1]
	}
	return nil
}

// giveBack returns block b to the free list. The caller holds s.mu and has
// taken b off the lent list (or is about to).
func (s *stager) giveBack(b int) {
	o := s.holder[b]
	o.staged--
	if !o.inbox {
		s.ringHeld--
	}
	s.tags[b], s.holder[b] = 0, nil
	s.free = append(s.free, b)
}

// stage copies chunk into a free block lent to o and returns the block and
// its tag; ok is false when o may not have another block now (all are
// lent, or o holds its share), and then nothing was written.
func (s *stager) stage(o *Outlet, chunk []byte) (block int, tag uint64, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) == 0 || o.staged >= s.perOut || (!o.inbox && s.ringHeld >= s.ringMax) {
		if err := s.reclaim(); err != nil {
			return 0, 0, false, err
		}
	}
	if len(s.free) == 0 || o.staged >= s.perOut || (!o.inbox && s.ringHeld >= s.ringMax) {
		return 0, 0, false, nil
	}
	b := s.free[len(s.free)-1]
	if err := s.write(b, chunk); err != nil {
		return 0, 0, false, err
	}
	s.free = s.free[:len(s.free)-1]
	s.nextTag++
	s.tags[b], s.holder[b] = s.nextTag, o
	s.lent = append(s.lent, b)
	s.high.raise(int64(len(s.lent)))
	o.staged++
	if !o.inbox {
		s.ringHeld++
	}
	return b, s.nextTag, true, nil
}

// write copies chunk into block b and makes it visible to other ranks
// before the descriptor can be.
func (s *stager) write(b int, chunk []byte) error {
	off := s.blockOffset(b)
	if s.separate {
		return s.win.Put(s.self, off, chunk)
	}
	copy(s.win.Local()[off:off+len(chunk)], chunk)
	return s.win.Sync()
}
