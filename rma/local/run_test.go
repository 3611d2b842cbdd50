package local_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// runTimeout bounds every test here. A test that relies on Run returning by
// itself checks afterwards that this deadline had not passed, so a Run that
// only returned because the deadline cancelled everything still fails.
const runTimeout = 20 * time.Second

func runCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	t.Cleanup(cancel)
	return ctx
}

var errRankFailed = errors.New("rank failed on purpose")

func TestRunReturnsRankError(t *testing.T) {
	ctx := runCtx(t)
	for _, failing := range []int{0, 2} {
		err := local.Run(ctx, 3, func(ctx context.Context, w rma.World) error {
			if w.Rank() == failing {
				return errRankFailed
			}
			return nil
		})
		var re *rma.RankError
		require.ErrorAs(t, err, &re)
		require.Equal(t, failing, re.Rank)
		require.ErrorIs(t, err, errRankFailed)
		require.Same(t, errRankFailed, re.Err)
		require.Contains(t, err.Error(), "rank")
	}
	require.NoError(t, ctx.Err())
}

func TestRunSuccess(t *testing.T) {
	ctx := runCtx(t)
	var ran [5]atomic.Bool
	err := local.Run(ctx, 5, func(ctx context.Context, w rma.World) error {
		if w.Size() != 5 {
			return errors.New("wrong size")
		}
		if ran[w.Rank()].Swap(true) {
			return errors.New("rank ran twice")
		}
		return w.Barrier(ctx)
	})
	require.NoError(t, err)
	for r := range ran {
		require.True(t, ran[r].Load(), "rank %d did not run", r)
	}
}

func TestRunPanicBecomesRankError(t *testing.T) {
	ctx := runCtx(t)
	err := local.Run(ctx, 3, func(ctx context.Context, w rma.World) error {
		if w.Rank() == 1 {
			panic("kaboom")
		}
		return nil
	})
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 1, re.Rank)
	require.Contains(t, err.Error(), "panic")
	require.Contains(t, err.Error(), "kaboom")

	// A panic with an error value is reported too.
	err = local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		var m map[string]int
		m["x"] = 1 // runtime panic: assignment to entry in nil map
		return nil
	})
	require.ErrorAs(t, err, &re)
	require.Equal(t, 0, re.Rank)
	require.Contains(t, err.Error(), "panic")
	require.NoError(t, ctx.Err())
}

// TestRunFailureReleasesBarrier: once a rank fails, ranks blocked in a
// Barrier return (with an error) instead of hanging, and Run returns the
// failing rank's error well before the test's deadline.
func TestRunFailureReleasesBarrier(t *testing.T) {
	for _, mode := range []string{"error", "panic"} {
		t.Run(mode, func(t *testing.T) {
			ctx := runCtx(t)
			const n = 4
			var barrierErrs [n]error
			var causes [n]error
			err := local.Run(ctx, n, func(rctx context.Context, w rma.World) error {
				// Everyone passes a first barrier, so the others are on
				// their way into the second when rank 0 fails.
				if err := w.Barrier(rctx); err != nil {
					return err
				}
				if w.Rank() == 0 {
					if mode == "panic" {
						panic("rank 0 gives up")
					}
					return errRankFailed
				}
				barrierErrs[w.Rank()] = w.Barrier(rctx)
				causes[w.Rank()] = context.Cause(rctx)
				return barrierErrs[w.Rank()]
			})
			require.NoError(t, ctx.Err(), "Run returned only because the test deadline passed")
			var re *rma.RankError
			require.ErrorAs(t, err, &re)
			require.Equal(t, 0, re.Rank, "Run must report the rank that failed first")
			if mode == "error" {
				require.ErrorIs(t, err, errRankFailed)
			} else {
				require.Contains(t, err.Error(), "panic")
			}
			for r := 1; r < n; r++ {
				require.Error(t, barrierErrs[r], "rank %d's barrier succeeded without rank 0", r)
				require.NotErrorIs(t, barrierErrs[r], context.DeadlineExceeded, "rank %d", r)
				// The ranks' context is cancelled with the failure as cause.
				var cause *rma.RankError
				require.ErrorAs(t, causes[r], &cause, "rank %d", r)
				require.Equal(t, 0, cause.Rank)
			}
		})
	}
}

// TestRunFailureReleasesAllocate: the same for a rank blocked in Allocate
// (a collective call other than Barrier) and in a channel Take.
func TestRunFailureReleasesAllocate(t *testing.T) {
	ctx := runCtx(t)
	err := local.Run(ctx, 3, func(rctx context.Context, w rma.World) error {
		ch, err := rma.NewChannel(rctx, w, 0, 2, 8, rma.WithClaims(1))
		if err != nil {
			return err
		}
		switch w.Rank() {
		case 0:
			return errRankFailed
		case 1:
			_, err := w.Allocate(rctx, 64)
			return err
		default:
			_, err := ch.Take(rctx) // nobody ever puts
			return err
		}
	})
	require.NoError(t, ctx.Err())
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 0, re.Rank)
	require.ErrorIs(t, err, errRankFailed)
}

// TestRunParentContextCancelled: a cancelled parent context ends a rank
// waiting in a collective call that can never complete (rank 1 never joins).
func TestRunParentContextCancelled(t *testing.T) {
	ctx := runCtx(t)
	pctx, cancel := context.WithCancel(ctx)
	cancel()
	err := local.Run(pctx, 2, func(rctx context.Context, w rma.World) error {
		if w.Rank() == 1 {
			return nil
		}
		return w.Barrier(rctx)
	})
	// The error should wrap context.Canceled, but see
	// TestRunParentCancelWrapsContextError: today it says "another rank
	// failed" about half the time.
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 0, re.Rank)
	require.Error(t, re.Err)
	require.NoError(t, ctx.Err())
}

// TestRunParentCancelWrapsContextError: when the caller's context ends (no
// rank failed), a rank's collective call reports the context's error, every
// time.
func TestRunParentCancelWrapsContextError(t *testing.T) {
	ctx := runCtx(t)
	for i := range 100 {
		pctx, cancel := context.WithCancel(ctx)
		cancel()
		err := local.Run(pctx, 2, func(rctx context.Context, w rma.World) error {
			if w.Rank() == 1 {
				return nil
			}
			return w.Barrier(rctx)
		})
		require.ErrorIs(t, err, context.Canceled, "run %d", i)
	}
}

func TestRunInvalidRanks(t *testing.T) {
	ctx := runCtx(t)
	for _, n := range []int{0, -1} {
		called := false
		err := local.Run(ctx, n, func(context.Context, rma.World) error {
			called = true
			return nil
		})
		require.ErrorIs(t, err, rma.ErrInvalidArgument, "%d ranks", n)
		require.False(t, called)
	}
}

func TestRunMaxWindowBytes(t *testing.T) {
	ctx := runCtx(t)
	var allocErr, chanErr [2]error
	err := local.Run(ctx, 2, func(rctx context.Context, w rma.World) error {
		// Every rank asks too much, so no rank is left in the collective.
		_, allocErr[w.Rank()] = w.Allocate(rctx, 2048)
		win, err := w.Allocate(rctx, 1024) // exactly the limit is allowed
		if err != nil {
			return err
		}
		if len(win.Local()) != 1024 {
			return errors.New("wrong segment size")
		}
		if err := win.Free(rctx); err != nil {
			return err
		}
		// A channel whose ring is over the limit: 256 + 16×80 bytes. Each
		// rank owns its own, so each fails before the collective.
		for owner := range w.Size() {
			if owner != w.Rank() {
				continue
			}
			_, chanErr[owner] = rma.NewChannel(rctx, w, owner, 16, 64)
		}
		return nil
	}, local.WithMaxWindowBytes(1024))
	require.NoError(t, err)
	require.NoError(t, ctx.Err())
	for r := range allocErr {
		require.ErrorIs(t, allocErr[r], rma.ErrWindowTooLarge, "rank %d", r)
		require.ErrorIs(t, chanErr[r], rma.ErrWindowTooLarge, "rank %d", r)
	}

	// Through Run's error: the rank's error wraps ErrWindowTooLarge.
	err = local.Run(ctx, 1, func(rctx context.Context, w rma.World) error {
		_, err := w.Allocate(rctx, 2048)
		return err
	}, local.WithMaxWindowBytes(1024))
	require.ErrorIs(t, err, rma.ErrWindowTooLarge)
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
}

func TestRunMaxWindowBytesInvalid(t *testing.T) {
	ctx := runCtx(t)
	called := false
	err := local.Run(ctx, 1, func(context.Context, rma.World) error {
		called = true
		return nil
	}, local.WithMaxWindowBytes(-1))
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
	require.False(t, called)

	// Zero is a valid limit: only empty segments.
	err = local.Run(ctx, 1, func(rctx context.Context, w rma.World) error {
		if _, err := w.Allocate(rctx, 8); !errors.Is(err, rma.ErrWindowTooLarge) {
			return errors.New("8 bytes allowed under a 0-byte limit")
		}
		win, err := w.Allocate(rctx, 0)
		if err != nil {
			return err
		}
		return win.Free(rctx)
	}, local.WithMaxWindowBytes(0))
	require.NoError(t, err)
}

func TestWorldUseAfterClose(t *testing.T) {
	ctx := runCtx(t)
	err := local.Run(ctx, 1, func(rctx context.Context, w rma.World) error {
		if err := w.Close(); err != nil {
			return err
		}
		assert.ErrorIs(t, w.Barrier(rctx), rma.ErrClosed)
		_, err := w.Allocate(rctx, 8)
		assert.ErrorIs(t, err, rma.ErrClosed)
		_, err = rma.NewChannel(rctx, w, 0, 1, 8)
		assert.ErrorIs(t, err, rma.ErrClosed)
		assert.ErrorIs(t, w.Close(), rma.ErrClosed, "a second Close")
		return nil
	})
	require.NoError(t, err, "closing the world inside the program is not an error")
}

// TestWindowUseAfterClose: a window's operations fail with ErrClosed once
// the window was freed or its world closed.
func TestWindowUseAfterClose(t *testing.T) {
	ctx := runCtx(t)
	err := local.Run(ctx, 1, func(rctx context.Context, w rma.World) error {
		win, err := w.Allocate(rctx, 16)
		if err != nil {
			return err
		}
		if err := win.Store(0, 8, 5); err != nil {
			return err
		}
		if err := win.Free(rctx); err != nil {
			return err
		}
		_, err = win.Load(0, 8)
		assert.ErrorIs(t, err, rma.ErrClosed)
		assert.ErrorIs(t, win.Free(rctx), rma.ErrClosed)

		other, err := w.Allocate(rctx, 16)
		if err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		_, err = other.FetchAdd(0, 0, 1)
		assert.ErrorIs(t, err, rma.ErrClosed)
		assert.ErrorIs(t, other.Put(0, 0, []byte{1}), rma.ErrClosed)
		return nil
	})
	require.NoError(t, err)
}
