package rma

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
)

// Channel is a RemoteChannel: a bounded many-producer many-consumer FIFO of
// byte messages living in one owner rank's window. Any rank may Put and Take;
// Claim, from any rank, declares how many messages are expected, and Take
// returns ErrNoMore once that many were taken. A Channel value is one rank's
// handle and is safe for concurrent use by that rank's goroutines.
//
// Guarantees: every message put is taken exactly once (or reported by the
// owner's Close as untaken); messages put by one goroutine are taken in put
// order; Take never takes beyond the claims, so a consumer that got ErrNoMore
// never strands a message that a later claim covers.
type Channel struct {
	ring     *ring
	backoff  Backoff
	tailHint atomic.Uint64
	closed   atomic.Bool
	done     chan struct{} // closed at creation: shared by completed futures
	putOK    *Future[struct{}]
	puts     opQueue
	takes    opQueue
	handle   Handle
	isArena  bool
	world    World // set for collective channels: Close is collective
	release  func(ctx context.Context) error
}

// NewChannel creates a channel collectively: every rank calls it in the same
// order with the same owner, capacity (slots) and message size (largest
// payload in bytes). The ring lives in a new window on the owner rank.
//
// Unless WithClaims is given, the channel is opened by its first Claim, and a
// Take before that waits instead of reporting ErrNoMore.
func NewChannel(ctx context.Context, w World, owner, capacity, msgSize int, opts ...ChannelOption) (*Channel, error) {
	cfg := defaultChannelConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	if owner < 0 || owner >= w.Size() {
		return nil, fmt.Errorf("%w: owner %d of a world of %d ranks", ErrInvalidRank, owner, w.Size())
	}
	size, err := ringBytes(capacity, msgSize)
	if err != nil {
		return nil, err
	}
	isOwner := w.Rank() == owner
	mine := 0
	if isOwner {
		mine = size
	}
	win, err := w.Allocate(ctx, mine)
	if err != nil {
		return nil, fmt.Errorf("rma: new channel: %w", err)
	}
	r := newRing(win, owner, 0, capacity, msgSize, isOwner)
	if isOwner {
		r.init(cfg.startTicket, 0, cfg.claims, cfg.claimsSet)
		if err := win.Sync(); err != nil {
			return nil, fmt.Errorf("rma: new channel: %w", err)
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return nil, fmt.Errorf("rma: new channel: %w", err)
	}
	if err := agree(ctx, w, r); err != nil {
		return nil, errors.Join(err, win.Free(ctx))
	}
	if err := w.Barrier(ctx); err != nil { // everyone has read joined before it is reused
		return nil, fmt.Errorf("rma: new channel: %w", err)
	}
	c, err := newChannel(r, cfg)
	if err != nil {
		return nil, err
	}
	c.world = w
	c.release = win.Free
	return c, nil
}

// agree checks on every rank that the ring the owner made has the shape this
// rank asked for. A rank that disagrees counts itself in the owner's header;
// after a barrier every rank reads the count, so all of them fail together
// with ErrMismatch (and free the window) instead of one rank alone.
func agree(ctx context.Context, w World, r *ring) error {
	mine := r.verify(0)
	if mine != nil {
		// Best effort: with a different owner the word may be out of reach.
		_, _ = r.win.FetchAdd(r.owner, r.base+hdrDisagree, 1)
	} else if _, err := r.win.FetchAdd(r.owner, r.base+hdrJoined, 1); err != nil {
		mine = err
	}
	if err := w.Barrier(ctx); err != nil {
		return fmt.Errorf("rma: new channel: %w", err)
	}
	if mine != nil {
		return fmt.Errorf("%w: new channel on rank %d: %v", ErrMismatch, w.Rank(), mine)
	}
	if r.owned {
		if err := r.win.Sync(); err != nil {
			return err
		}
	}
	n, err := r.load(r.base + hdrDisagree)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w: new channel: %d rank(s) asked for another shape than rank %d", ErrMismatch, n, w.Rank())
	}
	// Every rank must have named the same owner.
	joined, err := r.load(r.base + hdrJoined)
	if err != nil {
		return err
	}
	if joined != uint64(w.Size()) {
		return fmt.Errorf("%w: new channel: %d of %d ranks named rank %d as owner", ErrMismatch, joined, w.Size(), r.owner)
	}
	return nil
}

func newChannel(r *ring, cfg channelConfig) (*Channel, error) {
	c := &Channel{ring: r, backoff: cfg.backoff, done: make(chan struct{})}
	close(c.done)
	c.putOK = completedFuture(c.done, struct{}{}, nil)
	tail, err := r.load(r.base + offTail)
	if err != nil {
		return nil, err
	}
	c.tailHint.Store(tail)
	return c, nil
}

// Owner is the rank whose window holds the ring.
func (c *Channel) Owner() int { return c.ring.owner }

// Capacity is the number of slots.
func (c *Channel) Capacity() int { return int(c.ring.capacity) }

// MessageSize is the largest payload a message may have, in bytes.
func (c *Channel) MessageSize() int { return c.ring.msgSize }

func (c *Channel) checkPut(msg []byte) error {
	if c.closed.Load() {
		return fmt.Errorf("rma: put: %w", ErrClosed)
	}
	if len(msg) > c.ring.msgSize {
		return fmt.Errorf("%w: %d bytes, message size %d", ErrMessageTooLarge, len(msg), c.ring.msgSize)
	}
	return nil
}

// Put enqueues msg, blocking while the ring is full. A message longer than
// MessageSize fails with ErrMessageTooLarge before anything is written. If
// ctx ends first, Put returns its error and nothing was enqueued. Put keeps
// submission order with this handle's earlier PutFs.
func (c *Channel) Put(ctx context.Context, msg []byte) error {
	if err := c.checkPut(msg); err != nil {
		return err
	}
	if c.puts.busy() {
		_, err := runQueued(ctx, &c.puts, "put", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, c.putWait(ctx, msg)
		})
		return err
	}
	return c.putWait(ctx, msg)
}

func (c *Channel) putWait(ctx context.Context, msg []byte) error {
	// The first try needs no waiter: most puts find room.
	if done, err := c.tryPutOnce(msg); done {
		return err
	}
	w := newWaiter(c.backoff)
	defer w.stop()
	for {
		if err := w.wait(ctx, "put"); err != nil {
			return err
		}
		// An owner waiting for room waits for other ranks' takes from its
		// own window, which progress only while it is inside MPI (osc ucx
		// over TCP, MPICH): its own full-ring checks are plain loads.
		if c.ring.owned {
			if err := c.ring.win.Sync(); err != nil {
				return fmt.Errorf("rma: put: %w", err)
			}
		}
		if done, err := c.tryPutOnce(msg); done {
			return err
		}
	}
}

// tryPutOnce is one try of putWait: done unless the ring was full.
func (c *Channel) tryPutOnce(msg []byte) (done bool, err error) {
	if c.closed.Load() {
		return true, fmt.Errorf("rma: put: %w", ErrClosed)
	}
	ok, err := c.ring.tryPut(&c.tailHint, msg)
	if err != nil {
		return true, fmt.Errorf("rma: put: %w", err)
	}
	return ok, nil
}

// PutF enqueues msg asynchronously and returns at once. The caller may reuse
// msg as soon as PutF returns. Futures complete in submission order; a PutF
// that can be done at once costs no allocation.
func (c *Channel) PutF(msg []byte) *Future[struct{}] {
	if err := c.checkPut(msg); err != nil {
		return completedFuture(c.done, struct{}{}, err)
	}
	if !c.puts.busy() {
		ok, err := c.ring.tryPut(&c.tailHint, msg)
		if err != nil {
			return completedFuture(c.done, struct{}{}, fmt.Errorf("rma: put: %w", err))
		}
		if ok {
			return c.putOK
		}
	}
	own := bytes.Clone(msg)
	f := newFuture[struct{}]()
	c.puts.submit(func() { f.complete(struct{}{}, c.putWait(context.Background(), own)) })
	return f
}

// Take blocks until a message arrives and returns it in a new slice. It
// returns ErrNoMore once every claimed message was taken; before the first
// claim it waits. If ctx ends first, Take returns its error and nothing was
// taken.
func (c *Channel) Take(ctx context.Context) ([]byte, error) {
	return c.TakeAppend(ctx, nil)
}

// TakeAppend is Take appending the payload to dst, so that a loop reusing
// its buffer takes without allocating.
func (c *Channel) TakeAppend(ctx context.Context, dst []byte) ([]byte, error) {
	if c.takes.busy() {
		return runQueued(ctx, &c.takes, "take", func(ctx context.Context) ([]byte, error) {
			return c.takeWait(ctx, dst)
		})
	}
	return c.takeWait(ctx, dst)
}

func (c *Channel) takeWait(ctx context.Context, dst []byte) ([]byte, error) {
	// The first try needs no waiter: a busy stream finds a message.
	if out, done, err := c.tryTakeOnce(dst); done {
		return out, err
	}
	w := newWaiter(c.backoff)
	defer w.stop()
	for {
		if err := w.wait(ctx, "take"); err != nil {
			return dst, err
		}
		if c.ring.owned {
			if err := c.ring.win.Sync(); err != nil {
				return dst, fmt.Errorf("rma: take: %w", err)
			}
		}
		if out, done, err := c.tryTakeOnce(dst); done {
			return out, err
		}
	}
}

// tryTakeOnce is one look at the ring for takeWait: done unless the ring
// had no committed message yet.
func (c *Channel) tryTakeOnce(dst []byte) (out []byte, done bool, err error) {
	if c.closed.Load() {
		return dst, true, fmt.Errorf("rma: take: %w", ErrClosed)
	}
	out, st, err := c.ring.tryTake(dst)
	if err != nil {
		return out, true, fmt.Errorf("rma: take: %w", err)
	}
	switch st {
	case took:
		return out, true, nil
	case noMore:
		return dst, true, ErrNoMore
	}
	return dst, false, nil
}

// TakeF takes a message asynchronously. The future's value is the payload,
// or its error is ErrNoMore once every claimed message was taken.
func (c *Channel) TakeF() *Future[[]byte] {
	if c.closed.Load() {
		return completedFuture[[]byte](c.done, nil, fmt.Errorf("rma: take: %w", ErrClosed))
	}
	if !c.takes.busy() {
		out, st, err := c.ring.tryTake(nil)
		switch {
		case err != nil:
			return completedFuture(c.done, out, fmt.Errorf("rma: take: %w", err))
		case st == took:
			return completedFuture(c.done, out, nil)
		case st == noMore:
			return completedFuture[[]byte](c.done, nil, ErrNoMore)
		}
	}
	f := newFuture[[]byte]()
	c.takes.submit(func() { f.complete(c.takeWait(context.Background(), nil)) })
	return f
}

// Messages iterates over messages until ErrNoMore (which ends the loop
// without an error) or another error (yielded once, then the loop ends).
func (c *Channel) Messages(ctx context.Context) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for {
			msg, err := c.Take(ctx)
			if errors.Is(err, ErrNoMore) {
				return
			}
			if !yield(msg, err) || err != nil {
				return
			}
		}
	}
}

// Claim declares n more expected messages. Any rank may claim, at any time;
// claims only grow. The first claim opens the channel. A negative n is
// ErrNegativeClaim.
func (c *Channel) Claim(n int) error {
	if n < 0 {
		return fmt.Errorf("%w: Claim(%d)", ErrNegativeClaim, n)
	}
	if n > MaxClaim {
		return fmt.Errorf("%w: Claim(%d) is over MaxClaim (%d)", ErrInvalidArgument, n, MaxClaim)
	}
	if c.closed.Load() {
		return fmt.Errorf("rma: claim: %w", ErrClosed)
	}
	if err := c.ring.claim(int64(n)); err != nil {
		return fmt.Errorf("rma: claim: %w", err)
	}
	return nil
}

// Stats is a snapshot of a channel's counters.
type Stats struct {
	Put     uint64 // messages reserved by producers
	Taken   uint64 // messages reserved by consumers
	Claimed uint64 // sum of all claims
}

// Len is the number of messages put and not yet taken.
func (s Stats) Len() uint64 { return s.Put - s.Taken }

// Stats reads the channel's counters (three atomic loads, not one snapshot).
func (c *Channel) Stats() (Stats, error) {
	if c.closed.Load() {
		return Stats{}, fmt.Errorf("rma: stats: %w", ErrClosed)
	}
	return c.stats()
}

func (c *Channel) stats() (Stats, error) {
	tail, head, limit, err := c.ring.counters()
	if err != nil {
		return Stats{}, fmt.Errorf("rma: stats: %w", err)
	}
	start := c.ring.start
	return Stats{Put: tail - start, Taken: head - start, Claimed: limit - start}, nil
}

// Handle names an arena channel so that other ranks can Attach to it. It
// reports false for a channel made by NewChannel, which every rank already
// has.
func (c *Channel) Handle() (Handle, bool) { return c.handle, c.isArena }

// Close releases this rank's handle. Queued PutFs and TakeFs fail with
// ErrClosed. For a channel made by NewChannel, Close is collective and frees
// its window; for an arena channel, the owner's Close frees its arena span
// (other ranks' Close only detaches). If the owner closes a channel holding
// messages that were never taken, Close says how many with ErrUntaken. Close
// must not run concurrently with this handle's other calls.
func (c *Channel) Close(ctx context.Context) error {
	if !c.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("rma: close: %w", ErrClosed)
	}
	c.puts.wait()
	c.takes.wait()
	if c.world != nil {
		// Every rank has stopped using the channel once all reach here, so
		// the owner's count of untaken messages is final.
		if err := c.world.Barrier(ctx); err != nil {
			return fmt.Errorf("rma: close: %w", err)
		}
	}
	var untaken error
	if c.ring.owned {
		if err := c.ring.win.Sync(); err != nil {
			untaken = err
		}
		s, err := c.stats()
		switch {
		case err != nil:
			untaken = err
		case s.Len() > 0:
			untaken = fmt.Errorf("%w: %d messages (put %d, taken %d, claimed %d)",
				ErrUntaken, s.Len(), s.Put, s.Taken, s.Claimed)
		}
	}
	var freeErr error
	if c.release != nil {
		freeErr = c.release(ctx)
	}
	return errors.Join(untaken, freeErr)
}
