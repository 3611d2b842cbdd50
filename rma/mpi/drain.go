//go:build mpi

package mpi

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"unsafe"
)

// drain completes every send on the channel before it is freed, so that
// MPI_Finalize never waits on a send whose receiver stopped receiving (as
// MPICH does over UCX, spinning forever). Each rank tells every rank,
// itself included, how many data messages it sent it, on countTag; then it
// receives, and drops, data messages until it has had from each rank as
// many as that rank sent; then its own sends, all matched by now, complete.
// Callers have stopped probing: the channel is closed.
func (m *messages) drain(ctx context.Context) error {
	size := m.w.size
	out := unsafe.Slice((*int64)(C.malloc(C.size_t(8*size))), size)
	reqs := make([]C.MPI_Request, size)
	for p := range size {
		out[p] = m.sent[p].Load()
		var call C.int
		if err := mpiError(C.rm_isend(m.comm, C.int(p), countTag, unsafe.Pointer(&out[p]), 8, &reqs[p], &call), call); err != nil {
			// Sends already started must still complete before out is
			// freed: this is a broken MPI, and the job ends.
			return fmt.Errorf("drain: %w", err)
		}
	}
	told := make([]int64, size) // what each rank sent here
	heard := 0
	var scratch []byte
	err := poll(ctx, "drain", func() (bool, error) {
		for {
			src, n, msg, found, err := m.probeTag(countTag)
			if err != nil || !found {
				if err != nil {
					return false, err
				}
				break
			}
			if n != 8 {
				return false, fmt.Errorf("drain: a %d-byte count from rank %d", n, src)
			}
			var call C.int
			if err := mpiError(C.rm_mrecv(unsafe.Pointer(&told[src]), 8, &msg, &call), call); err != nil {
				return false, err
			}
			heard++
		}
		for {
			src, n, msg, found, err := m.probeTag(dataTag)
			if err != nil || !found {
				if err != nil {
					return false, err
				}
				break
			}
			if cap(scratch) < n {
				scratch = make([]byte, n)
			}
			var p unsafe.Pointer
			if n > 0 {
				p = unsafe.Pointer(&scratch[0])
			}
			var call C.int
			if err := mpiError(C.rm_mrecv(p, C.int(n), &msg, &call), call); err != nil {
				return false, err
			}
			m.received[src].Add(1)
		}
		if heard < size {
			return false, nil
		}
		for p := range size {
			if m.received[p].Load() < told[p] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		// The count sends may never complete (a rank that stopped):
		// their buffer stays allocated, as MPI may still read it.
		return err
	}
	for p := range size {
		if err := poll(ctx, "drain", func() (bool, error) {
			var done, call C.int
			err := mpiError(C.rm_test(&reqs[p], &done, &call), call)
			return done != 0, err
		}); err != nil {
			return err // out stays allocated, as above
		}
	}
	C.free(unsafe.Pointer(&out[0]))
	// Every data send of this rank is matched: complete them.
	var left []*sending
	m.w.pending.Range(func(k, _ any) bool {
		if s := k.(*sending); s.m == m {
			left = append(left, s)
		}
		return true
	})
	for _, s := range left {
		if err := poll(ctx, "drain", func() (bool, error) {
			var done, call C.int
			if err := mpiError(C.rm_test(&s.req, &done, &call), call); err != nil {
				return false, err
			}
			return done != 0, nil
		}); err != nil {
			return err
		}
		s.release() // Done reports the channel closed from now on
	}
	return nil
}

// probeTag matches the next message with tag, if one arrived.
func (m *messages) probeTag(tag C.int) (src, n int, msg C.MPI_Message, found bool, err error) {
	var f, s, c, call C.int
	if err := mpiError(C.rm_improbe(m.comm, tag, &f, &s, &c, &msg, &call), call); err != nil {
		return 0, 0, msg, false, err
	}
	return int(s), int(c), msg, f != 0, nil
}

// PendingSends is how many message sends of this rank MPI has not yet
// completed, on every channel (for tests and diagnostics).
func (w *World) PendingSends() int {
	n := 0
	w.pending.Range(func(any, any) bool { n++; return true })
	return n
}
