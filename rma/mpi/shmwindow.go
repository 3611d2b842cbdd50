//go:build mpi

package mpi

// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/internal/shm"
)

// shmWindow is a window in node shared memory: every rank's segment is mapped
// into this process, so the data operations are shm's CPU atomics and copies,
// exactly as in the in-process backend. Only allocation, Sync and Free call
// MPI.
type shmWindow struct {
	*shm.Segments
	world *World
	win   C.MPI_Win
	local []byte
	freed atomic.Bool
}

var _ rma.Window = (*shmWindow)(nil)

func (w *World) allocateShared(size int) (rma.Window, error) {
	sizes := make([]int64, w.size)
	bases := (*[1 << 20]unsafe.Pointer)(C.malloc(C.size_t(w.size) * C.size_t(unsafe.Sizeof(unsafe.Pointer(nil)))))[:w.size:w.size]
	defer C.free(unsafe.Pointer(&bases[0]))
	win := &shmWindow{world: w}
	var (
		base unsafe.Pointer
		call C.int
	)
	rc := C.rm_win_allocate_shared(C.int64_t(size), &win.win, &base,
		(*C.int64_t)(unsafe.Pointer(&sizes[0])), &bases[0], &call)
	if err := mpiError(rc, call); err != nil {
		return nil, err
	}
	segs := make([][]byte, w.size)
	for r := range segs {
		if sizes[r] > 0 && bases[r] != nil {
			segs[r] = unsafe.Slice((*byte)(bases[r]), sizes[r])
		}
	}
	win.local = segs[w.rank]
	win.Segments = &shm.Segments{Segs: segs, Prefix: "mpi", Freed: &win.freed, WorldClosed: &w.closed}
	return win, nil
}

// Sync has nothing to do: every access to the segments is a CPU atomic or a
// copy ordered by one, coherent across the processes that share the memory,
// and no MPI operation on this window needs progress. (An owner polls with
// Sync after every empty poll; an MPI call there would cost a cgo crossing
// each time.)
func (w *shmWindow) Sync() error {
	if w.freed.Load() || w.world.closed.Load() {
		return fmt.Errorf("mpi: sync: %w", rma.ErrClosed)
	}
	return nil
}

func (w *shmWindow) Local() []byte { return w.local }

// Free is collective: a ctx-aware barrier, then MPI_Win_free.
func (w *shmWindow) Free(ctx context.Context) error {
	err := w.world.freeWindow(ctx, &w.freed, &w.win)
	w.local = nil
	return err
}
