package mailbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// TestAbortIsLocal: rank 0 aborts in the middle of sending to rank 1, which
// meanwhile calls nothing at all: Abort must not wait for it. Afterwards
// rank 0 refuses sends, reservations and Close, and a second Abort is
// harmless; rank 1 aborts in turn, and no goroutine of either rank is left.
func TestAbortIsLocal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g0 := runtime.NumGoroutine()
	aborted := make(chan struct{})
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		r, err := NewRank(ctx, w, &recHandler{}, WithArenaBytes(256<<10), WithCapacity(4), WithInboxCapacity(4))
		if err != nil {
			return err
		}
		if w.Rank() == 1 {
			select {
			case <-aborted:
			case <-ctx.Done():
				return ctx.Err()
			}
			return r.Abort(ctx)
		}
		// More than rank 1's inbox holds: batches wait in the outlet.
		for i := range 1000 {
			if err := r.Send(Target{Rank: 1, Inbox: true}, fmt.Appendf(nil, "message %d", i)); err != nil {
				return err
			}
		}
		if err := r.Abort(ctx); err != nil {
			return fmt.Errorf("abort: %w", err)
		}
		close(aborted)
		if err := r.Send(Target{Rank: 1, Inbox: true}, []byte("late")); !errors.Is(err, ErrClosed) {
			return fmt.Errorf("send after abort: %v, want ErrClosed", err)
		}
		if _, err := r.Reserve(); !errors.Is(err, ErrClosed) {
			return fmt.Errorf("reserve after abort: %v, want ErrClosed", err)
		}
		if err := r.Close(ctx); !errors.Is(err, ErrClosed) {
			return fmt.Errorf("close after abort: %v, want ErrClosed", err)
		}
		if err := r.Abort(ctx); err != nil {
			return fmt.Errorf("second abort: %w", err)
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, ctx.Err())
	settle, cancelSettle := context.WithTimeout(ctx, 10*time.Second)
	defer cancelSettle()
	_, err = leakcheck.Settle(settle, g0)
	require.NoError(t, err, "goroutines left:\n%s", leakcheck.Stacks())
}

// TestAbortAfterClose: Abort after a successful Close does nothing and
// returns nil, as a deferred teardown does.
func TestAbortAfterClose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		r, err := NewRank(ctx, w, &recHandler{}, WithArenaBytes(1<<20))
		if err != nil {
			return err
		}
		if err := r.Close(ctx); err != nil {
			return err
		}
		for range 2 {
			if err := r.Abort(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
}

// TestAbortWithCancelledContext: with a ctx that has already ended, Abort
// still stops everything; it only does not wait. The goroutines end by
// themselves.
func TestAbortWithCancelledContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g0 := runtime.NumGoroutine()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		r, err := NewRank(ctx, w, &recHandler{}, WithArenaBytes(1<<20))
		if err != nil {
			return err
		}
		done, stop := context.WithCancel(ctx)
		stop()
		if err := r.Abort(done); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	require.NoError(t, err)
	settle, cancelSettle := context.WithTimeout(ctx, 10*time.Second)
	defer cancelSettle()
	_, err = leakcheck.Settle(settle, g0)
	require.NoError(t, err, "goroutines left:\n%s", leakcheck.Stacks())
}
