package local

import (
	"context"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
)

// segment is one rank's part of a window: 8-byte aligned memory.
type segment struct {
	mem   []byte
	freed atomic.Bool
}

func newSegment(size int) *segment {
	words := make([]uint64, (size+7)/8)
	var mem []byte
	if len(words) > 0 {
		mem = unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), size)
	}
	return &segment{mem: mem}
}

// window is one rank's handle on a window: its rank and every segment.
type window struct {
	world *world
	rank  int
	segs  []*segment
	freed atomic.Bool // this handle was freed
}

var _ rma.Window = (*window)(nil)

// region validates an access of n bytes at offset of target's segment.
func (w *window) region(op string, target, offset, n int, atomicWord bool) ([]byte, error) {
	if target < 0 || target >= len(w.segs) {
		return nil, fmt.Errorf("rma/local: %s: %w: target %d of %d ranks", op, rma.ErrInvalidRank, target, len(w.segs))
	}
	s := w.segs[target]
	if w.freed.Load() || s.freed.Load() || w.world.closed.Load() {
		return nil, fmt.Errorf("rma/local: %s: %w", op, rma.ErrClosed)
	}
	if offset < 0 || n < 0 || offset > len(s.mem)-n {
		return nil, fmt.Errorf("rma/local: %s: %w: %d bytes at offset %d of rank %d's %d-byte segment",
			op, rma.ErrOutOfBounds, n, offset, target, len(s.mem))
	}
	if atomicWord && offset%8 != 0 {
		return nil, fmt.Errorf("rma/local: %s: %w: offset %d", op, rma.ErrMisaligned, offset)
	}
	return s.mem[offset : offset+n], nil
}

func (w *window) word(op string, target, offset int) (*uint64, error) {
	b, err := w.region(op, target, offset, 8, true)
	if err != nil {
		return nil, err
	}
	return (*uint64)(unsafe.Pointer(&b[0])), nil
}

func (w *window) FetchAdd(target, offset int, delta uint64) (uint64, error) {
	p, err := w.word("fetch-add", target, offset)
	if err != nil {
		return 0, err
	}
	return atomic.AddUint64(p, delta) - delta, nil
}

func (w *window) CompareAndSwap(target, offset int, old, new uint64) (uint64, error) {
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

func (w *window) Load(target, offset int) (uint64, error) {
	p, err := w.word("load", target, offset)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint64(p), nil
}

func (w *window) Store(target, offset int, value uint64) error {
	p, err := w.word("store", target, offset)
	if err != nil {
		return err
	}
	atomic.StoreUint64(p, value)
	return nil
}

func (w *window) Put(target, offset int, src []byte) error {
	b, err := w.region("put", target, offset, len(src), false)
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}

func (w *window) Get(target, offset int, dst []byte) error {
	b, err := w.region("get", target, offset, len(dst), false)
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

func (w *window) Publish(target, offset int, header uint64, payload []byte, flagOffset int, flag uint64) error {
	b, err := w.region("publish", target, offset, 8+len(payload), true)
	if err != nil {
		return err
	}
	f, err := w.word("publish", target, flagOffset)
	if err != nil {
		return err
	}
	*(*uint64)(unsafe.Pointer(&b[0])) = header
	copy(b[8:], payload)
	atomic.StoreUint64(f, flag)
	return nil
}

func (w *window) Flush(target int) error {
	_, err := w.region("flush", target, 0, 0, false)
	return err
}

func (w *window) Sync() error { return nil }

func (w *window) Local() []byte { return w.segs[w.rank].mem }

// Free is collective: it returns once every rank has freed the window.
func (w *window) Free(ctx context.Context) error {
	if !w.freed.CompareAndSwap(false, true) {
		return fmt.Errorf("rma/local: free: %w", rma.ErrClosed)
	}
	if err := w.world.Barrier(ctx); err != nil {
		return fmt.Errorf("rma/local: free: %w", err)
	}
	w.segs[w.rank].freed.Store(true)
	return nil
}
