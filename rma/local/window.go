package local

import (
	"context"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/internal/shm"
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

// window is one rank's handle on a window: its rank and every segment. The
// data operations are shm's, on Go memory.
type window struct {
	*shm.Segments
	world *world
	rank  int
	segs  []*segment
	freed atomic.Bool // this handle was freed
}

var _ rma.Window = (*window)(nil)

func newWindow(w *world, segs []*segment) *window {
	win := &window{world: w, rank: w.rank, segs: segs}
	mem := make([][]byte, len(segs))
	freed := make([]*atomic.Bool, len(segs))
	for i, s := range segs {
		mem[i], freed[i] = s.mem, &s.freed
	}
	win.Segments = &shm.Segments{Segs: mem, Prefix: "rma/local",
		Freed: &win.freed, WorldClosed: &w.closed, SegFreed: freed}
	return win
}

func (w *window) Sync() error {
	if w.freed.Load() || w.world.closed.Load() {
		return fmt.Errorf("rma/local: sync: %w", rma.ErrClosed)
	}
	return nil
}

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
