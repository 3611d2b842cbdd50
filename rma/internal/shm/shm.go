// Package shm implements rma.Window's data operations on segments that are
// all mapped into this process: Go memory for the in-process backend, MPI
// shared memory (MPI_Win_allocate_shared) for the MPI backend on one node.
// Atomics are sync/atomic on the segment words, which is also atomic across
// processes sharing the memory; Put, Get and Publish copy bytes, and Publish
// stores its flag atomically after the copy.
package shm

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/rmactor/rmactor/rma"
)

// Segments is one window's segments, indexed by rank, with the checks every
// operation makes before touching memory. The checks are a few atomic loads
// and comparisons, on the hot path of every ring operation.
type Segments struct {
	// Segs holds every rank's segment; Segs[r] may be empty.
	Segs [][]byte
	// Prefix starts error messages ("rma/local", "mpi").
	Prefix string
	// Freed (this handle freed) and WorldClosed (this rank's world closed)
	// make every access use after close.
	Freed, WorldClosed *atomic.Bool
	// SegFreed[r], if SegFreed is not nil, marks rank r's segment freed.
	SegFreed []*atomic.Bool
}

// SharedMemory reports that every segment is mapped into this process
// (rma.SharedMemory).
func (s *Segments) SharedMemory() bool { return true }

// CheckRank validates target as a rank of a world of ranks ranks.
func CheckRank(prefix, op string, target, ranks int) error {
	if target < 0 || target >= ranks {
		return rankError(prefix, op, target, ranks)
	}
	return nil
}

// CheckRange validates an access of n bytes at offset of target's segment
// of size bytes; atomic accesses must be 8-byte aligned. Every backend makes
// these checks, with these errors, before touching memory or calling MPI.
func CheckRange(prefix, op string, target, offset, n, size int, atomicWord bool) error {
	if offset < 0 || n < 0 || offset > size-n || (atomicWord && offset%8 != 0) {
		return rangeError(prefix, op, target, offset, n, size)
	}
	return nil
}

// The errors are built out of line so that the checks stay cheap enough to
// inline.

//go:noinline
func rankError(prefix, op string, target, ranks int) error {
	return fmt.Errorf("%s: %s: %w: target %d of %d ranks", prefix, op, rma.ErrInvalidRank, target, ranks)
}

//go:noinline
func rangeError(prefix, op string, target, offset, n, size int) error {
	if offset < 0 || n < 0 || offset > size-n {
		return fmt.Errorf("%s: %s: %w: %d bytes at offset %d of rank %d's %d-byte segment",
			prefix, op, rma.ErrOutOfBounds, n, offset, target, size)
	}
	return fmt.Errorf("%s: %s: %w: offset %d", prefix, op, rma.ErrMisaligned, offset)
}

// Region validates an access of n bytes at offset of target's segment and
// returns those bytes.
func (s *Segments) Region(op string, target, offset, n int, atomicWord bool) ([]byte, error) {
	if err := CheckRank(s.Prefix, op, target, len(s.Segs)); err != nil {
		return nil, err
	}
	if s.Freed.Load() || s.WorldClosed.Load() || (s.SegFreed != nil && s.SegFreed[target].Load()) {
		return nil, fmt.Errorf("%s: %s: %w", s.Prefix, op, rma.ErrClosed)
	}
	seg := s.Segs[target]
	if err := CheckRange(s.Prefix, op, target, offset, n, len(seg), atomicWord); err != nil {
		return nil, err
	}
	return seg[offset : offset+n], nil
}

func (s *Segments) word(op string, target, offset int) (*uint64, error) {
	b, err := s.Region(op, target, offset, 8, true)
	if err != nil {
		return nil, err
	}
	return (*uint64)(unsafe.Pointer(&b[0])), nil
}

// FetchAdd adds delta to the word and returns its old value.
func (s *Segments) FetchAdd(target, offset int, delta uint64) (uint64, error) {
	p, err := s.word("fetch-add", target, offset)
	if err != nil {
		return 0, err
	}
	return atomic.AddUint64(p, delta) - delta, nil
}

// CompareAndSwap swaps old for new and returns the previous value.
func (s *Segments) CompareAndSwap(target, offset int, old, new uint64) (uint64, error) {
	p, err := s.word("compare-and-swap", target, offset)
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

// Load atomically reads the word.
func (s *Segments) Load(target, offset int) (uint64, error) {
	p, err := s.word("load", target, offset)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint64(p), nil
}

// Store atomically writes the word.
func (s *Segments) Store(target, offset int, value uint64) error {
	p, err := s.word("store", target, offset)
	if err != nil {
		return err
	}
	atomic.StoreUint64(p, value)
	return nil
}

// Put copies src into the segment.
func (s *Segments) Put(target, offset int, src []byte) error {
	b, err := s.Region("put", target, offset, len(src), false)
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}

// Get copies from the segment into dst.
func (s *Segments) Get(target, offset int, dst []byte) error {
	b, err := s.Region("get", target, offset, len(dst), false)
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

// Publish writes header and payload, then atomically stores flag.
func (s *Segments) Publish(target, offset int, header uint64, payload []byte, flagOffset int, flag uint64) error {
	b, err := s.Region("publish", target, offset, 8+len(payload), true)
	if err != nil {
		return err
	}
	f, err := s.word("publish", target, flagOffset)
	if err != nil {
		return err
	}
	*(*uint64)(unsafe.Pointer(&b[0])) = header
	copy(b[8:], payload)
	atomic.StoreUint64(f, flag)
	return nil
}

// Flush checks target; every operation is already complete.
func (s *Segments) Flush(target int) error {
	_, err := s.Region("flush", target, 0, 0, false)
	return err
}
