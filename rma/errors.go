package rma

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package and its backends wraps
// one of these, a context error, or a backend's own sentinel (mpi.ErrMPI for
// a failed MPI call), so callers can test with errors.Is.
var (
	// ErrNoMore is returned by Take when every claimed message has been
	// taken: the Go form of mpi-channels' None. A later Claim re-opens the
	// channel.
	ErrNoMore = errors.New("rma: no more messages: all claimed messages were taken")
	// ErrClosed reports use of a world, window or channel after Close.
	ErrClosed = errors.New("rma: use after close")
	// ErrInvalidRank reports a rank outside [0, world size).
	ErrInvalidRank = errors.New("rma: invalid rank")
	// ErrInvalidArgument reports a capacity, size or option out of range.
	ErrInvalidArgument = errors.New("rma: invalid argument")
	// ErrNegativeClaim reports a Claim with a negative count.
	ErrNegativeClaim = errors.New("rma: negative claim")
	// ErrMessageTooLarge reports a message longer than the channel's message
	// size. Nothing is written when it is returned.
	ErrMessageTooLarge = errors.New("rma: message larger than the channel's message size")
	// ErrOutOfBounds reports a window access outside the target's segment.
	ErrOutOfBounds = errors.New("rma: access outside the window segment")
	// ErrMisaligned reports an atomic window access not aligned to 8 bytes.
	ErrMisaligned = errors.New("rma: atomic access not aligned to 8 bytes")
	// ErrArenaExhausted reports that an arena has no free span large enough.
	ErrArenaExhausted = errors.New("rma: arena exhausted")
	// ErrBadHandle reports a channel handle that does not name a live channel.
	ErrBadHandle = errors.New("rma: bad channel handle")
	// ErrCorrupt reports bytes in a window that break the ring's invariants.
	ErrCorrupt = errors.New("rma: corrupt channel memory")
	// ErrMismatch reports ranks that passed different arguments to a
	// collective call.
	ErrMismatch = errors.New("rma: ranks disagree on a collective call's arguments")
	// ErrUntaken is returned by the owner's Close when messages were put but
	// never taken (for example beyond the claims): they are reported, never
	// dropped silently. The channel is closed all the same.
	ErrUntaken = errors.New("rma: channel closed with messages never taken")
	// ErrWindowTooLarge reports a window allocation over the backend's limit.
	ErrWindowTooLarge = errors.New("rma: window allocation over the backend's limit")
	// ErrAborted is returned by collective calls that cannot complete
	// because another rank has failed.
	ErrAborted = errors.New("rma: another rank failed")
	// ErrPending is returned by Future.Err while the future is not done.
	ErrPending = errors.New("rma: future not done")
)

// RankError names the rank on which an SPMD program failed.
type RankError struct {
	Rank int
	Err  error
}

func (e *RankError) Error() string { return fmt.Sprintf("rank %d: %v", e.Rank, e.Err) }

// Unwrap returns the rank's error.
func (e *RankError) Unwrap() error { return e.Err }

// OnRank is err as a failure of rank: err itself if it already names that
// rank at its top, else a RankError around it (so that layers which each
// name the rank do not name it twice).
func OnRank(rank int, err error) error {
	if re, ok := err.(*RankError); ok && re.Rank == rank {
		return err
	}
	return &RankError{Rank: rank, Err: err}
}
