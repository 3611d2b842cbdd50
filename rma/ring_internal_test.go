package rma

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// memWindow is a minimal single-rank Window: one segment of 8-byte words,
// every operation targeting rank 0 and bounds-checked. It lets the ring be
// tested in package rma without a backend (rma/local imports rma).
type memWindow struct {
	words  []uint64
	mem    []byte // the bytes of words
	closed atomic.Bool
}

var _ Window = (*memWindow)(nil)

func newMemWindow(size int) *memWindow {
	w := &memWindow{words: make([]uint64, (size+7)/8)}
	if len(w.words) > 0 {
		w.mem = unsafe.Slice((*byte)(unsafe.Pointer(&w.words[0])), size)
	}
	return w
}

func (w *memWindow) region(op string, target, offset, n int) ([]byte, error) {
	if target != 0 {
		return nil, fmt.Errorf("memWindow %s: %w: target %d", op, ErrInvalidRank, target)
	}
	if w.closed.Load() {
		return nil, fmt.Errorf("memWindow %s: %w", op, ErrClosed)
	}
	if offset < 0 || n < 0 || offset > len(w.mem)-n {
		return nil, fmt.Errorf("memWindow %s: %w: %d bytes at offset %d of %d", op, ErrOutOfBounds, n, offset, len(w.mem))
	}
	return w.mem[offset : offset+n], nil
}

func (w *memWindow) word(op string, target, offset int) (*uint64, error) {
	if _, err := w.region(op, target, offset, 8); err != nil {
		return nil, err
	}
	if offset%8 != 0 {
		return nil, fmt.Errorf("memWindow %s: %w: offset %d", op, ErrMisaligned, offset)
	}
	return &w.words[offset/8], nil
}

func (w *memWindow) FetchAdd(target, offset int, delta uint64) (uint64, error) {
	p, err := w.word("fetch-add", target, offset)
	if err != nil {
		return 0, err
	}
	return atomic.AddUint64(p, delta) - delta, nil
}

func (w *memWindow) CompareAndSwap(target, offset int, old, new uint64) (uint64, error) {
	p, err := w.word("compare-and-swap", target, offset)
	if err != nil {
		return 0, err
	}
	for {
		if atomic.CompareAndSwapUint64(p, old, new) {
			return old, nil
		}
		if cur := atomic.LoadUint64(p); cur != old {
			return cur, nil
		}
	}
}

func (w *memWindow) Load(target, offset int) (uint64, error) {
	p, err := w.word("load", target, offset)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint64(p), nil
}

func (w *memWindow) Store(target, offset int, value uint64) error {
	p, err := w.word("store", target, offset)
	if err != nil {
		return err
	}
	atomic.StoreUint64(p, value)
	return nil
}

func (w *memWindow) Put(target, offset int, src []byte) error {
	b, err := w.region("put", target, offset, len(src))
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}

func (w *memWindow) Get(target, offset int, dst []byte) error {
	b, err := w.region("get", target, offset, len(dst))
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

func (w *memWindow) Publish(target, offset int, header uint64, payload []byte, flagOffset int, flag uint64) error {
	h, err := w.word("publish", target, offset)
	if err != nil {
		return err
	}
	b, err := w.region("publish", target, offset+8, len(payload))
	if err != nil {
		return err
	}
	f, err := w.word("publish", target, flagOffset)
	if err != nil {
		return err
	}
	atomic.StoreUint64(h, header)
	copy(b, payload)
	atomic.StoreUint64(f, flag)
	return nil
}

func (w *memWindow) Flush(target int) error {
	_, err := w.region("flush", target, 0, 0)
	return err
}

func (w *memWindow) Sync() error { return nil }

func (w *memWindow) Local() []byte { return w.mem }

func (w *memWindow) Free(context.Context) error {
	if !w.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	return nil
}

// testRing is a ring in a memWindow, built the way NewChannel builds one.
type testRing struct {
	win   *memWindow
	owner *ring // the owner's view (LoadLocal, direct copies)
	peer  *ring // another rank's view of the same ring (window calls only)
	base  int
}

type ringShape struct {
	capacity, msgSize int
	base              int // byte offset of the ring in the segment (8-aligned)
	start             uint64
	claims            int64
	open              bool
}

func newTestRing(t testing.TB, s ringShape) *testRing {
	t.Helper()
	size, err := ringBytes(s.capacity, s.msgSize)
	require.NoError(t, err)
	win := newMemWindow(s.base + size)
	owner := newRing(win, 0, s.base, s.capacity, s.msgSize, true)
	owner.init(s.start, 7, s.claims, s.open)
	require.NoError(t, owner.verify(7))
	peer := newRing(win, 0, s.base, s.capacity, s.msgSize, false)
	require.NoError(t, peer.verify(7))
	return &testRing{win: win, owner: owner, peer: peer, base: s.base}
}

// view returns the owner's or the peer's view of the ring.
func (tr *testRing) view(owner bool) *ring {
	if owner {
		return tr.owner
	}
	return tr.peer
}

// slot is the byte offset of ticket t's slot.
func (tr *testRing) slot(t uint64) int { return tr.owner.slotOff(t) }

func (tr *testRing) word(off int) uint64 { return atomic.LoadUint64(&tr.win.words[off/8]) }

func (tr *testRing) setWord(off int, v uint64) { atomic.StoreUint64(&tr.win.words[off/8], v) }

func (tr *testRing) counters(t testing.TB) (tail, head, limit uint64) {
	t.Helper()
	tail, head, limit, err := tr.owner.counters()
	require.NoError(t, err)
	return tail, head, limit
}

// mustPut puts msg through r and requires that it went in.
func mustPut(t testing.TB, r *ring, hint *atomic.Uint64, msg []byte) {
	t.Helper()
	ok, err := r.tryPut(hint, msg)
	require.NoError(t, err)
	require.True(t, ok, "put %q: ring unexpectedly full", msg)
}

// mustTake takes one message through r and requires it to be want.
func mustTake(t testing.TB, r *ring, want []byte) {
	t.Helper()
	got, st, err := r.tryTake(nil)
	require.NoError(t, err)
	require.Equal(t, took, st)
	require.Equal(t, want, got)
}

func views() []bool { return []bool{true, false} }

func viewName(owner bool) string {
	if owner {
		return "owner"
	}
	return "peer"
}

func TestMemWindowBounds(t *testing.T) {
	w := newMemWindow(24)
	_, err := w.Load(1, 0)
	require.ErrorIs(t, err, ErrInvalidRank)
	_, err = w.Load(0, 24)
	require.ErrorIs(t, err, ErrOutOfBounds)
	_, err = w.Load(0, -8)
	require.ErrorIs(t, err, ErrOutOfBounds)
	_, err = w.Load(0, 4)
	require.ErrorIs(t, err, ErrMisaligned)
	require.ErrorIs(t, w.Put(0, 20, make([]byte, 5)), ErrOutOfBounds)
	require.ErrorIs(t, w.Get(0, 0, make([]byte, 25)), ErrOutOfBounds)
	require.ErrorIs(t, w.Publish(0, 8, 1, make([]byte, 9), 0, 1), ErrOutOfBounds)
	require.NoError(t, w.Publish(0, 0, 3, []byte("abc"), 16, 9))
	v, err := w.Load(0, 16)
	require.NoError(t, err)
	require.Equal(t, uint64(9), v)
	require.Equal(t, "abc", string(w.Local()[8:11]))
	require.NoError(t, w.Free(context.Background()))
	_, err = w.Load(0, 0)
	require.ErrorIs(t, err, ErrClosed)
}

func TestRingLayout(t *testing.T) {
	tr := newTestRing(t, ringShape{capacity: 3, msgSize: 5, base: 64, start: 10, claims: 2, open: true})
	require.Equal(t, ringMagic, tr.word(64+hdrMagic))
	require.Equal(t, uint64(3), tr.word(64+hdrCapacity))
	require.Equal(t, uint64(5), tr.word(64+hdrMsgSize))
	require.Equal(t, uint64(1), tr.word(64+hdrOpened))
	tail, head, limit := tr.counters(t)
	require.Equal(t, [3]uint64{10, 10, 12}, [3]uint64{tail, head, limit})
	require.Equal(t, 24, slotStride(5))
	// Slots are indexed from the start ticket: 10 uses slot 0, 11 slot 1.
	require.Equal(t, 64+offSlots, tr.slot(10))
	require.Equal(t, 64+offSlots+24, tr.slot(11))
	for tk := uint64(10); tk < 13; tk++ {
		require.Equal(t, freeSeq(tk), tr.word(tr.slot(tk)+slotSeq), "ticket %d", tk)
	}
	require.Error(t, tr.owner.verify(8), "wrong generation must not verify")
}

// TestRingCorruptLength overwrites a committed slot's length word with a
// value over the message size: the take reports ErrCorrupt, frees the slot
// and the ring goes on.
func TestRingCorruptLength(t *testing.T) {
	const msgSize = 16
	for _, owner := range views() {
		for _, bad := range []uint64{msgSize + 1, msgSize + 8, 1 << 31, math.MaxInt64, math.MaxUint64} {
			t.Run(fmt.Sprintf("%s/len=%d", viewName(owner), bad), func(t *testing.T) {
				// One slot: the next put needs the corrupt slot released.
				tr := newTestRing(t, ringShape{capacity: 1, msgSize: msgSize, base: 128, claims: 2, open: true})
				r := tr.view(owner)
				var hint atomic.Uint64
				mustPut(t, r, &hint, []byte("first"))
				lenOff := tr.base + offSlots + slotLen // ticket 0's slot
				require.Equal(t, lenOff, tr.slot(0)+slotLen)
				require.Equal(t, uint64(5), tr.word(lenOff))
				tr.setWord(lenOff, bad)

				dst := []byte("keep")
				out, st, err := r.tryTake(dst)
				require.ErrorIs(t, err, ErrCorrupt)
				require.Equal(t, took, st)
				require.Equal(t, "keep", string(out), "dst must come back unchanged")
				require.Equal(t, freeSeq(1), tr.word(tr.slot(0)+slotSeq), "slot must be released")
				tail, head, _ := tr.counters(t)
				require.Equal(t, uint64(1), tail)
				require.Equal(t, uint64(1), head)

				mustPut(t, r, &hint, []byte("second"))
				mustTake(t, r, []byte("second"))
				_, st, err = r.tryTake(nil)
				require.NoError(t, err)
				require.Equal(t, noMore, st)
			})
		}
	}
}

// TestChannelCorruptLength is TestRingCorruptLength through Channel.Take.
func TestChannelCorruptLength(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, owner := range views() {
		t.Run(viewName(owner), func(t *testing.T) {
			tr := newTestRing(t, ringShape{capacity: 2, msgSize: 8, claims: 3, open: true})
			c, err := newChannel(tr.view(owner), defaultChannelConfig())
			require.NoError(t, err)
			require.NoError(t, c.Put(ctx, []byte("a")))
			require.NoError(t, c.Put(ctx, []byte("b")))
			tr.setWord(tr.slot(0)+slotLen, 9)
			_, err = c.Take(ctx)
			require.ErrorIs(t, err, ErrCorrupt)
			got, err := c.Take(ctx)
			require.NoError(t, err)
			require.Equal(t, "b", string(got))
			require.NoError(t, c.Put(ctx, []byte("c")))
			got, err = c.Take(ctx)
			require.NoError(t, err)
			require.Equal(t, "c", string(got))
			_, err = c.Take(ctx)
			require.ErrorIs(t, err, ErrNoMore)
			require.NoError(t, c.Close(ctx))
		})
	}
}

// TestRingCorruptSeqTake: a committed slot whose seq word is beyond
// committedSeq(head) while the head does not move is ErrCorrupt, not a
// livelock.
func TestRingCorruptSeqTake(t *testing.T) {
	for _, owner := range views() {
		for _, delta := range []uint64{1, 2, 3, 1000, 1 << 62} {
			t.Run(fmt.Sprintf("%s/+%d", viewName(owner), delta), func(t *testing.T) {
				tr := newTestRing(t, ringShape{capacity: 4, msgSize: 8, base: 64, start: 5, claims: 1, open: true})
				r := tr.view(owner)
				var hint atomic.Uint64
				hint.Store(5)
				mustPut(t, r, &hint, []byte("x"))
				seqOff := tr.slot(5) + slotSeq
				require.Equal(t, committedSeq(5), tr.word(seqOff))
				tr.setWord(seqOff, committedSeq(5)+delta)
				_, st, err := r.tryTake(nil)
				require.ErrorIs(t, err, ErrCorrupt)
				require.Equal(t, empty, st)
				_, head, _ := tr.counters(t)
				require.Equal(t, uint64(5), head, "a corrupt slot must not be taken")
			})
		}
	}
}

// TestChannelCorruptSeqTake: Channel.Take returns ErrCorrupt instead of
// spinning until the context ends.
func TestChannelCorruptSeqTake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := newTestRing(t, ringShape{capacity: 2, msgSize: 8, claims: 1, open: true})
	c, err := newChannel(tr.peer, defaultChannelConfig())
	require.NoError(t, err)
	tr.setWord(tr.slot(0)+slotSeq, committedSeq(0)+2)
	_, err = c.Take(ctx)
	require.ErrorIs(t, err, ErrCorrupt)
	require.NoError(t, ctx.Err())
}

// TestRingCorruptSeqPut: a slot whose seq word is beyond freeSeq(tail) while
// the tail does not move is ErrCorrupt, not a livelock; nothing is reserved.
func TestRingCorruptSeqPut(t *testing.T) {
	for _, owner := range views() {
		for _, delta := range []uint64{1, 2, 3, 1000, 1 << 62} {
			t.Run(fmt.Sprintf("%s/+%d", viewName(owner), delta), func(t *testing.T) {
				tr := newTestRing(t, ringShape{capacity: 3, msgSize: 8, start: 1 << 40, claims: 1, open: true})
				r := tr.view(owner)
				var hint atomic.Uint64
				hint.Store(1 << 40)
				mustPut(t, r, &hint, []byte("ok"))
				tk := uint64(1<<40 + 1)
				tr.setWord(tr.slot(tk)+slotSeq, freeSeq(tk)+delta)
				ok, err := r.tryPut(&hint, []byte("no"))
				require.ErrorIs(t, err, ErrCorrupt)
				require.False(t, ok)
				tail, _, _ := tr.counters(t)
				require.Equal(t, tk, tail, "nothing may be reserved")
				require.Equal(t, tk, hint.Load())
				// A stale hint reaches the same slot through the tail.
				hint.Store(1 << 40)
				ok, err = r.tryPut(&hint, []byte("no"))
				require.ErrorIs(t, err, ErrCorrupt)
				require.False(t, ok)
			})
		}
	}
}

// TestChannelCorruptSeqPut: Channel.Put returns ErrCorrupt instead of spinning.
func TestChannelCorruptSeqPut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := newTestRing(t, ringShape{capacity: 2, msgSize: 8, claims: 1, open: true})
	c, err := newChannel(tr.peer, defaultChannelConfig())
	require.NoError(t, err)
	tr.setWord(tr.slot(0)+slotSeq, freeSeq(0)+1)
	err = c.Put(ctx, []byte("x"))
	require.ErrorIs(t, err, ErrCorrupt)
	require.NoError(t, ctx.Err())
	f := c.PutF([]byte("y"))
	_, err = f.Wait(ctx)
	require.ErrorIs(t, err, ErrCorrupt)
}

// TestRingStates walks the take statuses: not opened, no more, empty (a
// claimed slot not committed yet), full.
func TestRingStates(t *testing.T) {
	for _, owner := range views() {
		t.Run(viewName(owner), func(t *testing.T) {
			tr := newTestRing(t, ringShape{capacity: 2, msgSize: 4})
			r := tr.view(owner)
			_, st, err := r.tryTake(nil)
			require.NoError(t, err)
			require.Equal(t, notOpened, st)
			require.NoError(t, r.claim(0))
			_, st, err = r.tryTake(nil)
			require.NoError(t, err)
			require.Equal(t, noMore, st)
			require.NoError(t, r.claim(3))
			_, st, err = r.tryTake(nil)
			require.NoError(t, err)
			require.Equal(t, empty, st)
			var hint atomic.Uint64
			mustPut(t, r, &hint, []byte("1"))
			mustPut(t, r, &hint, []byte("22"))
			ok, err := r.tryPut(&hint, []byte("333"))
			require.NoError(t, err)
			require.False(t, ok, "a full ring must refuse a put")
			mustTake(t, r, []byte("1"))
			mustPut(t, r, &hint, []byte("333"))
			mustTake(t, r, []byte("22"))
			mustTake(t, r, []byte("333"))
			_, st, err = r.tryTake(nil)
			require.NoError(t, err)
			require.Equal(t, noMore, st)
		})
	}
}

// roundTrip runs rounds of fill-then-drain through r and checks order.
func roundTrip(t *testing.T, tr *testRing, r *ring, start uint64, rounds int) {
	t.Helper()
	var hint atomic.Uint64
	hint.Store(start)
	capacity := int(r.capacity)
	msg := make([]byte, r.msgSize)
	id := uint64(0)
	next := uint64(0)
	for round := range rounds {
		// Vary the batch so heads and tails meet at every slot.
		batch := 1 + round%capacity
		for range batch {
			binary.LittleEndian.PutUint64(msg, id)
			mustPut(t, r, &hint, msg[:8+int(id%uint64(r.msgSize-7))])
			id++
		}
		if batch == capacity {
			ok, err := r.tryPut(&hint, msg[:8])
			require.NoError(t, err)
			require.False(t, ok, "round %d: ring of %d holds more than its capacity", round, capacity)
		}
		for range batch {
			got, st, err := r.tryTake(nil)
			require.NoError(t, err, "round %d", round)
			require.Equal(t, took, st, "round %d", round)
			require.Equal(t, 8+int(next%uint64(r.msgSize-7)), len(got))
			require.Equal(t, next, binary.LittleEndian.Uint64(got), "round %d: out of order", round)
			next++
		}
		_, st, err := r.tryTake(nil)
		require.NoError(t, err)
		require.NotEqual(t, took, st, "round %d: ring must be empty", round)
	}
	tail, head, _ := tr.counters(t)
	require.Equal(t, start+id, tail)
	require.Equal(t, start+id, head)
}

// TestRingRoundsOddCapacities runs many put/take rounds in order through
// rings of one slot and of non-power-of-two capacities, from several start
// tickets (around 2^63 the seq words 2t wrap).
func TestRingRoundsOddCapacities(t *testing.T) {
	starts := []uint64{0, 1 << 40, 1<<63 - 7}
	for _, capacity := range []int{1, 2, 3, 5, 7, 8} {
		for _, start := range starts {
			for _, owner := range views() {
				t.Run(fmt.Sprintf("cap=%d/start=%d/%s", capacity, start, viewName(owner)), func(t *testing.T) {
					tr := newTestRing(t, ringShape{capacity: capacity, msgSize: 13, base: 64, start: start, claims: math.MaxInt64, open: true})
					roundTrip(t, tr, tr.view(owner), start, 200)
				})
			}
		}
	}
}

// TestRingWrapPowerOfTwo crosses 2^64 with power-of-two capacities, where
// ticket mod capacity is continuous across the wrap.
func TestRingWrapPowerOfTwo(t *testing.T) {
	for _, capacity := range []int{1, 2, 4} {
		start := uint64(math.MaxUint64 - 20)
		t.Run(fmt.Sprintf("cap=%d", capacity), func(t *testing.T) {
			tr := newTestRing(t, ringShape{capacity: capacity, msgSize: 8, start: start, claims: 1000, open: true})
			roundTrip(t, tr, tr.owner, start, 40)
		})
	}
}

// TestRingWrapOddCapacity crosses 2^64 with a capacity that does not divide
// 2^64: slots are indexed from the start ticket, so tickets 2^64-1 and 0 map
// to consecutive slots (t mod capacity would map both to slot 0).
func TestRingWrapOddCapacity(t *testing.T) {
	const capacity = 3
	start := uint64(math.MaxUint64 - 1)
	tr := newTestRing(t, ringShape{capacity: capacity, msgSize: 8, start: start, claims: 1000, open: true})
	roundTrip(t, tr, tr.owner, start, 40)
}

// TestChannelRoundsCapacityOne moves messages one at a time through a
// one-slot channel with Put/Take, from the owner's and a peer's view.
func TestChannelRoundsCapacityOne(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 500
	tr := newTestRing(t, ringShape{capacity: 1, msgSize: 8})
	cons, err := newChannel(tr.owner, defaultChannelConfig())
	require.NoError(t, err)
	prod, err := newChannel(tr.peer, defaultChannelConfig())
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, cons.Claim(2))
		require.NoError(t, prod.Put(ctx, binary.LittleEndian.AppendUint64(nil, uint64(i))))
		f := prod.PutF([]byte("full"))
		require.ErrorIs(t, f.Err(), ErrPending, "a PutF into a full one-slot ring must wait")
		got, err := cons.Take(ctx)
		require.NoError(t, err)
		require.Equal(t, uint64(i), binary.LittleEndian.Uint64(got))
		_, err = f.Wait(ctx)
		require.NoError(t, err)
		got, err = cons.Take(ctx)
		require.NoError(t, err)
		require.Equal(t, "full", string(got))
	}
	_, err = cons.Take(ctx)
	require.ErrorIs(t, err, ErrNoMore)
	s, err := cons.Stats()
	require.NoError(t, err)
	require.Equal(t, Stats{Put: 2 * n, Taken: 2 * n, Claimed: 2 * n}, s)
	require.NoError(t, prod.Close(ctx))
	require.NoError(t, cons.Close(ctx))
}

// TestRingConcurrentOddCapacity: producers and consumers on separate views
// of a 3-slot ring; every message is taken exactly once and each producer's
// messages arrive in order.
func TestRingConcurrentOddCapacity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const (
		producers = 4
		consumers = 3
		perProd   = 2000
		total     = producers * perProd
	)
	tr := newTestRing(t, ringShape{capacity: 3, msgSize: 16, claims: total, open: true})
	var wg sync.WaitGroup
	errs := make(chan error, producers+consumers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := newChannel(tr.peer, defaultChannelConfig())
			if err != nil {
				errs <- err
				return
			}
			msg := make([]byte, 16)
			for i := range perProd {
				binary.LittleEndian.PutUint64(msg, uint64(p))
				binary.LittleEndian.PutUint64(msg[8:], uint64(i))
				if err := c.Put(ctx, msg); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	got := make([][]uint64, consumers)
	for k := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := tr.peer
			if k == 0 {
				r = tr.owner
			}
			c, err := newChannel(r, defaultChannelConfig())
			if err != nil {
				errs <- err
				return
			}
			last := make([]int64, producers)
			for i := range last {
				last[i] = -1
			}
			for msg, err := range c.Messages(ctx) {
				if err != nil {
					errs <- err
					return
				}
				p := binary.LittleEndian.Uint64(msg)
				i := int64(binary.LittleEndian.Uint64(msg[8:]))
				if p >= producers || i <= last[p] {
					errs <- fmt.Errorf("consumer %d: message %d of producer %d after %d", k, i, p, last[min(p, producers-1)])
					return
				}
				last[p] = i
				got[k] = append(got[k], p*perProd+uint64(i))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := make([]int, total)
	for _, ids := range got {
		for _, id := range ids {
			seen[id]++
		}
	}
	for id, n := range seen {
		require.Equal(t, 1, n, "message %d taken %d times", id, n)
	}
}

// TestRingReadCopiesExactLength: a short message after a long one in the
// same slot does not carry the long one's tail bytes along.
func TestRingReadCopiesExactLength(t *testing.T) {
	for _, owner := range views() {
		t.Run(viewName(owner), func(t *testing.T) {
			tr := newTestRing(t, ringShape{capacity: 1, msgSize: 12, claims: 3, open: true})
			r := tr.view(owner)
			var hint atomic.Uint64
			mustPut(t, r, &hint, bytes.Repeat([]byte{'L'}, 12))
			mustTake(t, r, bytes.Repeat([]byte{'L'}, 12))
			mustPut(t, r, &hint, []byte("s"))
			got, st, err := r.tryTake([]byte("pre-"))
			require.NoError(t, err)
			require.Equal(t, took, st)
			require.Equal(t, "pre-s", string(got))
			mustPut(t, r, &hint, nil)
			got, st, err = r.tryTake(nil)
			require.NoError(t, err)
			require.Equal(t, took, st)
			require.Empty(t, got)
		})
	}
}

// TestRingWindowErrors: window errors propagate out of the ring wrapped,
// rather than being mistaken for an empty or full ring.
func TestRingWindowErrors(t *testing.T) {
	tr := newTestRing(t, ringShape{capacity: 2, msgSize: 8, claims: 1, open: true})
	require.NoError(t, tr.win.Free(context.Background()))
	var hint atomic.Uint64
	_, err := tr.peer.tryPut(&hint, []byte("x"))
	require.ErrorIs(t, err, ErrClosed)
	_, _, err = tr.peer.tryTake(nil)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, tr.peer.claim(1), ErrClosed)
	_, err = newChannel(tr.peer, defaultChannelConfig())
	require.True(t, errors.Is(err, ErrClosed))
}

// separateWindow is a memWindow that declares MPI's separate memory model.
type separateWindow struct{ *memWindow }

func (w *separateWindow) SeparateMemory() bool { return true }

// TestRingSeparateMemoryReadsThroughWindow: under a separate memory model the
// owner must not serve reads from its local view. The claim limit is raised
// by another rank through the window; the owner's take must see it.
func TestRingSeparateMemoryReadsThroughWindow(t *testing.T) {
	const capacity, msgSize = 4, 8
	size, err := ringBytes(capacity, msgSize)
	require.NoError(t, err)
	win := &separateWindow{memWindow: newMemWindow(size)}
	owner := newRing(win, 0, 0, capacity, msgSize, true)
	require.Nil(t, owner.local, "owner must not read its local view under a separate model")
	require.True(t, owner.owned)
	owner.init(0, 1, 0, true)
	require.NoError(t, owner.verify(1))
	peer := newRing(win, 0, 0, capacity, msgSize, false)
	require.NoError(t, peer.verify(1))

	var hint atomic.Uint64
	ok, err := peer.tryPut(&hint, []byte("separate"))
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, peer.claim(1))

	got, st, err := owner.tryTake(nil)
	require.NoError(t, err)
	require.Equal(t, took, st)
	require.Equal(t, "separate", string(got))
	_, st, err = owner.tryTake(nil)
	require.NoError(t, err)
	require.Equal(t, noMore, st)
}

// TestClaimTotalBounded: claims whose total would pass 2^62 are refused and
// undone, so the limit stays comparable with the tickets.
func TestClaimTotalBounded(t *testing.T) {
	tr := newTestRing(t, ringShape{capacity: 4, msgSize: 8, start: 100, claims: 0, open: true})
	tr.setWord(offLimit, 100+maxOutstanding-1)
	require.NoError(t, tr.peer.claim(1))
	require.ErrorIs(t, tr.peer.claim(1), ErrInvalidArgument)
	require.Equal(t, uint64(100+maxOutstanding), tr.word(offLimit), "a refused claim must be undone")
}

func TestChannelBytesOverflow(t *testing.T) {
	_, err := ChannelBytes((math.MaxInt-offSlots)/16, 0)
	require.ErrorIs(t, err, ErrInvalidArgument)
}
