//go:build mpi

package mpi

// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/internal/shm"
)

// window is one rank's handle on an MPI window.
type window struct {
	world   *World
	rank    int
	win     C.MPI_Win
	sizes   []int // every rank's segment size
	local   []byte
	unified bool
	freed   atomic.Bool
}

var (
	_ rma.Window         = (*window)(nil)
	_ rma.SeparateMemory = (*window)(nil)
)

// check validates an access of n bytes at offset of target's segment before
// anything reaches MPI: MPI would crash or corrupt memory instead of failing.
func (w *window) check(op string, target, offset, n int, atomicWord bool) error {
	if w.freed.Load() || w.world.closed.Load() {
		return fmt.Errorf("mpi: %s: %w", op, rma.ErrClosed)
	}
	if err := shm.CheckRank("mpi", op, target, len(w.sizes)); err != nil {
		return err
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("mpi: %s: %w: %d bytes in one operation (MPI counts are 32-bit)", op, rma.ErrInvalidArgument, n)
	}
	return shm.CheckRange("mpi", op, target, offset, n, w.sizes[target], atomicWord)
}

func (w *window) FetchAdd(target, offset int, delta uint64) (uint64, error) {
	if err := w.check("fetch-add", target, offset, 8, true); err != nil {
		return 0, err
	}
	var old C.uint64_t
	var call C.int
	rc := C.rm_fetch_add(w.win, C.int(target), C.int64_t(offset), C.uint64_t(delta), &old, &call)
	return uint64(old), mpiError(rc, call)
}

func (w *window) CompareAndSwap(target, offset int, old, new uint64) (uint64, error) {
	if err := w.check("compare-and-swap", target, offset, 8, true); err != nil {
		return 0, err
	}
	var prev C.uint64_t
	var call C.int
	rc := C.rm_cas(w.win, C.int(target), C.int64_t(offset), C.uint64_t(old), C.uint64_t(new), &prev, &call)
	return uint64(prev), mpiError(rc, call)
}

func (w *window) Load(target, offset int) (uint64, error) {
	if err := w.check("load", target, offset, 8, true); err != nil {
		return 0, err
	}
	var v C.uint64_t
	var call C.int
	rc := C.rm_load(w.win, C.int(target), C.int64_t(offset), &v, &call)
	return uint64(v), mpiError(rc, call)
}

func (w *window) Store(target, offset int, value uint64) error {
	if err := w.check("store", target, offset, 8, true); err != nil {
		return err
	}
	var call C.int
	return mpiError(C.rm_store(w.win, C.int(target), C.int64_t(offset), C.uint64_t(value), &call), call)
}

func (w *window) Put(target, offset int, src []byte) error {
	if err := w.check("put", target, offset, len(src), false); err != nil {
		return err
	}
	var call C.int
	return mpiError(C.rm_put(w.win, C.int(target), C.int64_t(offset), bytesPtr(src), C.int64_t(len(src)), &call), call)
}

func (w *window) Get(target, offset int, dst []byte) error {
	if err := w.check("get", target, offset, len(dst), false); err != nil {
		return err
	}
	var call C.int
	return mpiError(C.rm_get(w.win, C.int(target), C.int64_t(offset), bytesPtr(dst), C.int64_t(len(dst)), &call), call)
}

func (w *window) Publish(target, offset int, header uint64, payload []byte, flagOffset int, flag uint64) error {
	if err := w.check("publish", target, offset, 8+len(payload), true); err != nil {
		return err
	}
	if err := w.check("publish", target, flagOffset, 8, true); err != nil {
		return err
	}
	var call C.int
	rc := C.rm_publish(w.win, C.int(target), C.int64_t(offset), C.uint64_t(header),
		bytesPtr(payload), C.int64_t(len(payload)), C.int64_t(flagOffset), C.uint64_t(flag), &call)
	return mpiError(rc, call)
}

func (w *window) Flush(target int) error {
	if err := w.check("flush", target, 0, 0, false); err != nil {
		return err
	}
	var call C.int
	return mpiError(C.rm_flush(w.win, C.int(target), &call), call)
}

// Sync is MPI_Win_sync (which makes the local copy current under the
// separate memory model) plus an MPI_Iprobe, so that one-sided components
// that need the target's help (osc/pt2pt, MPICH) progress while the owner
// polls.
func (w *window) Sync() error {
	if w.freed.Load() || w.world.closed.Load() {
		return fmt.Errorf("mpi: sync: %w", rma.ErrClosed)
	}
	var call C.int
	return mpiError(C.rm_sync(w.win, &call), call)
}

func (w *window) Local() []byte { return w.local }

// SeparateMemory reports MPI's separate memory model (MPI_WIN_MODEL is not
// MPI_WIN_UNIFIED): channel owners then read their rings through MPI calls.
func (w *window) SeparateMemory() bool { return !w.unified }

// Free is collective: a ctx-aware barrier, then MPI_Win_unlock_all and
// MPI_Win_free.
func (w *window) Free(ctx context.Context) error {
	err := w.world.freeWindow(ctx, &w.freed, &w.win)
	w.local = nil
	return err
}

// freeWindow ends either kind of window: once only, after every rank has
// reached it.
func (w *World) freeWindow(ctx context.Context, freed *atomic.Bool, win *C.MPI_Win) error {
	if !freed.CompareAndSwap(false, true) {
		return fmt.Errorf("mpi: free: %w", rma.ErrClosed)
	}
	if err := w.Barrier(ctx); err != nil {
		return fmt.Errorf("mpi: free: %w", err)
	}
	// A local copy: cgo checks the whole object a pointer argument points
	// into, and the window structs hold Go pointers.
	h := *win
	var call C.int
	err := mpiError(C.rm_win_free(&h, &call), call)
	*win = h
	return err
}

// bytesPtr is the address of b's first byte, or nil for an empty slice.
// MPI does not keep it: every helper completes (flushes) before returning.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}
