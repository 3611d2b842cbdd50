package rma

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Arena is a collectively allocated window in which each rank creates
// channels at run time, with no collective call: the owner carves a ring out
// of its own segment and hands out its Handle; other ranks Attach to it.
// Actor mailboxes are made this way.
type Arena struct {
	win    Window
	rank   int
	size   int
	mu     sync.Mutex
	free   []span // sorted by offset, coalesced
	gen    uint64
	closed bool
}

type span struct{ off, n int }

const arenaAlign = 64

// NewArena allocates an arena collectively, bytesPerRank bytes on every rank.
func NewArena(ctx context.Context, w World, bytesPerRank int) (*Arena, error) {
	if bytesPerRank < 0 {
		return nil, fmt.Errorf("%w: arena of %d bytes", ErrInvalidArgument, bytesPerRank)
	}
	size := bytesPerRank &^ (arenaAlign - 1)
	win, err := w.Allocate(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("rma: new arena: %w", err)
	}
	a := &Arena{win: win, rank: w.Rank(), size: size}
	if size > 0 {
		a.free = []span{{0, size}}
	}
	return a, nil
}

// ChannelBytes is how many arena bytes a channel of this shape takes.
func ChannelBytes(capacity, msgSize int) (int, error) {
	n, err := ringBytes(capacity, msgSize)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt-(arenaAlign-1) {
		return 0, fmt.Errorf("%w: capacity %d × message size %d overflows", ErrInvalidArgument, capacity, msgSize)
	}
	return (n + arenaAlign - 1) &^ (arenaAlign - 1), nil
}

// NewChannel creates a channel owned by this rank inside its arena segment.
// It is not collective. When no free span is large enough it returns
// ErrArenaExhausted. Other ranks reach the channel through its Handle.
func (a *Arena) NewChannel(capacity, msgSize int, opts ...ChannelOption) (*Channel, error) {
	cfg := defaultChannelConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	n, err := ChannelBytes(capacity, msgSize)
	if err != nil {
		return nil, err
	}
	off, gen, err := a.alloc(n)
	if err != nil {
		return nil, err
	}
	local := a.win.Local()
	clear(local[off : off+n])
	r := newRing(a.win, a.rank, off, capacity, msgSize, true)
	r.init(cfg.startTicket, gen, cfg.claims, cfg.claimsSet)
	if err := a.win.Sync(); err != nil {
		a.release(off, n)
		return nil, err
	}
	if err := r.verify(gen); err != nil {
		a.release(off, n)
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	c, err := newChannel(r, cfg)
	if err != nil {
		a.release(off, n)
		return nil, err
	}
	c.isArena = true
	c.handle = Handle{Rank: a.rank, Offset: off, Capacity: capacity, MessageSize: msgSize, Generation: gen}
	c.release = func(context.Context) error {
		StoreLocal(local, off+hdrMagic, 0)
		StoreLocal(local, off+hdrGen, 0)
		a.release(off, n)
		return a.win.Sync()
	}
	return c, nil
}

// Attach opens a channel another rank (or this one) created in this arena.
// A handle that names no live channel of that shape and generation gives
// ErrBadHandle. Closing the attached Channel only detaches.
func (a *Arena) Attach(h Handle, opts ...ChannelOption) (*Channel, error) {
	cfg := defaultChannelConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	if h.Offset < 0 || h.Offset%arenaAlign != 0 {
		return nil, fmt.Errorf("%w: offset %d is not a channel boundary", ErrBadHandle, h.Offset)
	}
	if a.isClosed() {
		return nil, fmt.Errorf("rma: attach: %w", ErrClosed)
	}
	n, err := ringBytes(h.Capacity, h.MessageSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadHandle, err)
	}
	if h.Rank == a.rank && h.Offset > a.size-n {
		return nil, fmt.Errorf("%w: %+v lies outside this rank's %d-byte arena", ErrBadHandle, h, a.size)
	}
	r := newRing(a.win, h.Rank, h.Offset, h.Capacity, h.MessageSize, h.Rank == a.rank)
	if err := r.verify(h.Generation); err != nil {
		return nil, fmt.Errorf("%w: %+v: %w", ErrBadHandle, h, err)
	}
	c, err := newChannel(r, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadHandle, err)
	}
	c.isArena = true
	c.handle = h
	return c, nil
}

// Free is the number of free bytes in this rank's arena segment.
func (a *Arena) Free() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	total := 0
	for _, s := range a.free {
		total += s.n
	}
	return total
}

// Close frees the arena's window; it is collective. Channels in it must be
// closed first. Later NewChannel and Attach calls return ErrClosed.
func (a *Arena) Close(ctx context.Context) error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return fmt.Errorf("rma: arena close: %w", ErrClosed)
	}
	a.closed = true
	a.mu.Unlock()
	return a.win.Free(ctx)
}

func (a *Arena) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

func (a *Arena) alloc(n int) (off int, gen uint64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, 0, fmt.Errorf("rma: arena: %w", ErrClosed)
	}
	if n <= 0 {
		return 0, 0, fmt.Errorf("%w: span of %d bytes", ErrInvalidArgument, n)
	}
	largest := 0
	for i, s := range a.free {
		largest = max(largest, s.n)
		if s.n < n {
			continue
		}
		if s.n == n {
			a.free = slices.Delete(a.free, i, i+1)
		} else {
			a.free[i] = span{s.off + n, s.n - n}
		}
		a.gen++
		return s.off, a.gen, nil
	}
	return 0, 0, fmt.Errorf("%w: rank %d needs %d bytes; largest free span %d of %d",
		ErrArenaExhausted, a.rank, n, largest, a.size)
}

func (a *Arena) release(off, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, _ := slices.BinarySearchFunc(a.free, off, func(s span, off int) int { return s.off - off })
	a.free = slices.Insert(a.free, i, span{off, n})
	if i+1 < len(a.free) && a.free[i].off+a.free[i].n == a.free[i+1].off {
		a.free[i].n += a.free[i+1].n
		a.free = slices.Delete(a.free, i+1, i+2)
	}
	if i > 0 && a.free[i-1].off+a.free[i-1].n == a.free[i].off {
		a.free[i-1].n += a.free[i].n
		a.free = slices.Delete(a.free, i, i+1)
	}
}
