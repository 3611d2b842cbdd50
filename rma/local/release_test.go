package local

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/rma"
)

var errEarly = errors.New("rank failed before the collective")

// TestFailedRunReleasesPendingSegments: ranks 0 and 2 bring segments to an
// Allocate that rank 1, failing first, never joins (a rank that reaches a
// round after the failure still leaves its value there before it sees the
// abort). Once Run has returned, the hub holds no round, so a world that
// outlives its Run (kept here on purpose) does not keep those segments
// alive.
func TestFailedRunReleasesPendingSegments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var kept rma.World
	err := Run(ctx, 3, func(ctx context.Context, w rma.World) error {
		switch w.Rank() {
		case 0:
			kept = w
		case 1:
			return errEarly
		}
		_, err := w.Allocate(ctx, 1<<20)
		return err
	})
	require.ErrorIs(t, err, errEarly)
	require.NoError(t, ctx.Err())
	h := kept.(*world).hub
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Empty(t, h.round, "the hub still holds a round, and the segments brought to it")
}

// TestAllocateMeetingAnotherCollective: a rank whose Allocate meets another
// rank's Barrier in the same round (ranks out of step after a failure)
// gets rma.ErrMismatch, not a panic.
func TestAllocateMeetingAnotherCollective(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		if w.Rank() == 0 {
			return w.Barrier(ctx)
		}
		_, err := w.Allocate(ctx, 64)
		return err
	})
	require.ErrorIs(t, err, rma.ErrMismatch)
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 1, re.Rank)
}
