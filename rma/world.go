package rma

import "context"

// Program is an SPMD program: every rank of a world runs it.
type Program func(ctx context.Context, w World) error

// World is a group of ranks running the same program. Collective calls
// (Barrier, Allocate and the calls built on them) must be made by every rank
// in the same order.
type World interface {
	// Rank is this rank's number in [0, Size()).
	Rank() int
	// Size is the number of ranks.
	Size() int
	// Barrier returns once every rank has entered it.
	Barrier(ctx context.Context) error
	// Allocate is collective: every rank contributes a segment of size bytes
	// (sizes may differ between ranks, zero included) to a new window.
	// Segments are zeroed and 8-byte aligned.
	Allocate(ctx context.Context, size int) (Window, error)
	// Close releases the world. Later calls return ErrClosed.
	Close() error
}

// Departures is implemented by worlds that can tell that a rank has left:
// its program returned and it closed (or is closing) its world, so nothing
// it hosted will answer again. The in-process and MPI worlds implement it;
// the actor runtime uses it to fail a request to a rank that left instead
// of waiting for ever.
type Departures interface {
	// Departed reports whether rank k has left the world.
	Departed(k int) bool
}

// SeparateMemory is implemented by windows whose owner view (Local) is not
// kept coherent with other ranks' updates (MPI's separate memory model). A
// channel owner then reads its ring through window operations on its own
// rank instead of LoadLocal.
type SeparateMemory interface {
	SeparateMemory() bool
}

// SharedMemory is implemented by windows whose every segment is mapped into
// this process: the in-process backend, and MPI node shared memory. The ranks
// of such a window run on one machine, so they can wake each other directly
// instead of polling.
type SharedMemory interface {
	SharedMemory() bool
}

// Window is one rank's handle on a collectively allocated window. Target is a
// rank; offsets are bytes from the start of the target's segment. Atomic
// operations work on 8-byte words at 8-byte aligned offsets and are atomic
// with respect to each other from every rank. Operations return once their
// effect is complete at the target, so no separate flush is needed for
// correctness; Flush exists for backends that can defer completion.
//
// Data moves between ranks only through these operations.
type Window interface {
	// FetchAdd adds delta to the word at offset and returns its old value.
	FetchAdd(target, offset int, delta uint64) (uint64, error)
	// CompareAndSwap stores new at offset if the word equals old, and
	// returns the word's previous value (equal to old on success).
	CompareAndSwap(target, offset int, old, new uint64) (uint64, error)
	// Load atomically reads the word at offset.
	Load(target, offset int) (uint64, error)
	// Store atomically writes the word at offset.
	Store(target, offset int, value uint64) error
	// Put copies src into the target's segment at offset.
	Put(target, offset int, src []byte) error
	// Get copies len(dst) bytes from the target's segment at offset.
	Get(target, offset int, dst []byte) error
	// Publish writes the word header at offset and payload right after it
	// (offset+8), then atomically stores flag at flagOffset. A rank that
	// atomically loads flag and sees it also sees header and payload. It is
	// the commit step of the ring protocol, one call so that a backend can do
	// it with one crossing into MPI.
	Publish(target, offset int, header uint64, payload []byte, flagOffset int, flag uint64) error
	// Flush completes every operation this rank issued to target.
	Flush(target int) error
	// Sync makes updates by other ranks to this rank's segment visible in
	// Local (MPI_Win_sync). It is cheap and may be a no-op.
	Sync() error
	// Local is this rank's own segment: the owner's direct view of its
	// memory. Words in it that other ranks update must be read with
	// LoadLocal.
	Local() []byte
	// Free releases the window; it is collective. Later operations return
	// ErrClosed.
	Free(ctx context.Context) error
}
