package pingpong

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

func TestPingPong(t *testing.T) {
	for _, agg := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var out bytes.Buffer
		err := local.Run(ctx, 3, func(ctx context.Context, w rma.World) error {
			var o bytes.Buffer
			err := Run(ctx, w, Config{Messages: 5000, Requests: 200, Aggregate: agg, Capacity: 4}, &o)
			if w.Rank() == 0 {
				out = o
			}
			return err
		})
		cancel()
		require.NoError(t, err)
		require.Contains(t, out.String(), "one-way:    5000 messages")
		require.Contains(t, out.String(), "round trip: 200 requests")
	}
}

func TestPingPongNeedsTwoRanks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		return Run(ctx, w, Config{Messages: 1, Requests: 1, Capacity: 1}, &bytes.Buffer{})
	})
	require.True(t, errors.Is(err, rma.ErrInvalidArgument), "got %v", err)
}

// TestFailingRankLeavesNothing: one rank fails at each of its barriers in
// turn (before, during and after the traffic, and inside Close), and the
// program's deferred Abort leaves no goroutine and no heap behind (one
// leaked run would keep two 64 MiB arenas).
func TestFailingRankLeavesNothing(t *testing.T) {
	injected := errors.New("injected failure")
	cfg := Config{Messages: 500, Requests: 20, Aggregate: true, Capacity: 4}
	failing := func(rank, barrier int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
			if w.Rank() == rank {
				w = leakcheck.FailAtBarrier(w, barrier, injected)
			}
			return Run(ctx, w, cfg, &bytes.Buffer{})
		})
		require.ErrorIs(t, err, injected, "rank %d failing at barrier %d", rank, barrier)
		require.NoError(t, ctx.Err(), "rank %d failing at barrier %d", rank, barrier)
	}
	// Barriers: 1 in NewSystem, 2 after the actors are spawned, 3 after
	// the measurements, 4 and 5 in Close.
	leakcheck.Repeated(t, func() { failing(1, 3) }, 10, func(i int) { failing(i%2, 1+i/2) },
		4<<20, 30*time.Second)
}
