//go:build mpi

package mpi

// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
)

var _ rma.Messenger = (*World)(nil)

// messages is one rank's end of a message channel: a duplicate of
// MPI_COMM_WORLD, so that its messages never meet anyone else's, with
// every message on tag dataTag (one tag keeps each sender's messages in
// order under MPI's non-overtaking rule). It counts the messages it sent to
// and received from each rank, so that Close can drain what was never
// received (drain.go).
type messages struct {
	w        *World
	comm     C.MPI_Comm
	closed   atomic.Bool
	sent     []atomic.Int64 // per destination
	received []atomic.Int64 // per source
}

// The tags of a channel's messages: the users' data, and the counts Close
// exchanges.
const (
	dataTag  = 0
	countTag = 1
)

// OpenMessages is collective (MPI_Comm_dup): see rma.Messenger.
func (w *World) OpenMessages(ctx context.Context) (rma.Messages, error) {
	if err := w.Barrier(ctx); err != nil {
		return nil, fmt.Errorf("mpi: open messages: %w", err)
	}
	m := &messages{w: w, sent: make([]atomic.Int64, w.size), received: make([]atomic.Int64, w.size)}
	var call C.int
	if err := mpiError(C.rm_comm_dup(&m.comm, &call), call); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *messages) usable(op string) error {
	if m.closed.Load() || m.w.closed.Load() {
		return fmt.Errorf("mpi: %s: %w", op, rma.ErrClosed)
	}
	return nil
}

// sending is an MPI_Isend in flight. Its buffer is pinned until MPI_Test
// reports it complete, since MPI reads it after MPI_Isend returns; until
// then the World holds it (World.pending), so that a send nobody completes
// (a rank that failed mid-job) is never collected pinned, which the Go
// runtime treats as a fatal error. World.Close unpins what is left once
// MPI is finalised and reads nothing more.
type sending struct {
	w      *World
	m      *messages
	req    C.MPI_Request
	pin    runtime.Pinner
	done   bool
	err    error // the failure Done reported, reported again
	closed *atomic.Bool
}

func (m *messages) Send(dest int, data []byte) (rma.Sending, error) {
	if err := m.usable("send"); err != nil {
		return nil, err
	}
	if dest < 0 || dest >= m.w.size {
		return nil, fmt.Errorf("%w: send to rank %d of %d", rma.ErrInvalidRank, dest, m.w.size)
	}
	if len(data) > math.MaxInt32 {
		return nil, fmt.Errorf("mpi: send: %w: %d bytes in one message (MPI counts are 32-bit)", rma.ErrInvalidArgument, len(data))
	}
	s := &sending{w: m.w, m: m, closed: &m.closed}
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
		s.pin.Pin(p)
	}
	var call C.int
	if err := mpiError(C.rm_isend(m.comm, C.int(dest), dataTag, p, C.int(len(data)), &s.req, &call), call); err != nil {
		s.pin.Unpin()
		return nil, err
	}
	m.sent[dest].Add(1)
	m.w.pending.Store(s, struct{}{})
	return s, nil
}

func (s *sending) Done() (bool, error) {
	if s.done {
		return s.err == nil, s.err
	}
	if s.closed.Load() {
		// The channel is gone: the send stays pinned and held by the
		// World until MPI is finalised.
		return false, fmt.Errorf("mpi: send: %w", rma.ErrClosed)
	}
	var done, call C.int
	if err := mpiError(C.rm_test(&s.req, &done, &call), call); err != nil {
		s.done, s.err = true, err
		s.release()
		return false, err
	}
	if done != 0 {
		s.done = true
		s.release()
	}
	return s.done, nil
}

// release unpins a completed send's buffer and lets the World forget it.
func (s *sending) release() {
	s.pin.Unpin()
	s.w.pending.Delete(s)
}

// arrival is a message matched by MPI_Improbe and not yet received.
type arrival struct {
	m   *messages
	msg C.MPI_Message
	src int
	n   int
}

func (m *messages) Probe() (rma.Arrival, bool, error) {
	if err := m.usable("probe"); err != nil {
		return nil, false, err
	}
	a := &arrival{m: m}
	var found, src, n, call C.int
	if err := mpiError(C.rm_improbe(m.comm, dataTag, &found, &src, &n, &a.msg, &call), call); err != nil {
		return nil, false, err
	}
	if found == 0 {
		return nil, false, nil
	}
	a.src, a.n = int(src), int(n)
	return a, true, nil
}

func (a *arrival) Source() int { return a.src }
func (a *arrival) Len() int    { return a.n }

func (a *arrival) Receive(dst []byte) error {
	if err := a.m.usable("receive"); err != nil {
		return err
	}
	if len(dst) != a.n {
		return fmt.Errorf("%w: receive of a %d-byte message into %d bytes", rma.ErrInvalidArgument, a.n, len(dst))
	}
	var p unsafe.Pointer
	if a.n > 0 {
		p = unsafe.Pointer(&dst[0])
	}
	var call C.int
	if err := mpiError(C.rm_mrecv(p, C.int(a.n), &a.msg, &call), call); err != nil {
		return err
	}
	a.m.received[a.src].Add(1)
	return nil
}

// Close frees the communicator; it is collective (MPI_Comm_free), entered
// after a ctx-aware barrier so that no rank blocks for one that never
// comes. First it drains the channel (drain.go): every message sent on it
// is received, and those nobody took are dropped, so that no send is left
// in flight for MPI_Finalize to wait on forever.
func (m *messages) Close(ctx context.Context) error {
	if m.closed.Swap(true) {
		return fmt.Errorf("mpi: close messages: %w", rma.ErrClosed)
	}
	if m.w.closed.Load() {
		return nil // gone with MPI_Finalize
	}
	if err := m.w.Barrier(ctx); err != nil {
		return fmt.Errorf("mpi: close messages: %w", err)
	}
	if err := m.drain(ctx); err != nil {
		return fmt.Errorf("mpi: close messages: %w", err)
	}
	var call C.int
	return mpiError(C.rm_comm_free(&m.comm, &call), call)
}
