package actor_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// TestClaimsAcrossRanks: rank 1 spawns a counter with claims and announces
// its PID to rank 0's named collector; rank 0 sends exactly the claimed
// number of messages to the PID (a direct mailbox ring) and waits for the
// counter to terminate.
func TestClaimsAcrossRanks(t *testing.T) {
	const n = 20000
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w)
		if err != nil {
			return err
		}
		pids := make(chan *actor.PID, 1)
		if w.Rank() == 0 {
			_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				if m, ok := c.Message().(*actor.PID); ok {
					pids <- m
				}
			}), "collector")
			if err != nil {
				return err
			}
		}
		require.NoError(t, w.Barrier(ctx))
		var got int
		if w.Rank() == 1 {
			pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if _, ok := c.Message().(*wrapperspb.Int64Value); ok {
					got++
				}
			}, actor.WithClaims(n)))
			if err != nil {
				return err
			}
			require.NoError(t, sys.Send(ctx, actor.PIDOn(0, "collector"), pid))
			require.NoError(t, sys.Wait(ctx, pid))
			require.Equal(t, n, got)
		} else {
			var pid *actor.PID
			select {
			case pid = <-pids:
			case <-ctx.Done():
				return ctx.Err()
			}
			start := time.Now()
			for i := range int64(n) {
				if err := sys.Send(ctx, pid, wrapperspb.Int64(i)); err != nil {
					return err
				}
			}
			require.NoError(t, sys.Wait(ctx, pid))
			t.Logf("%d messages in %v: %.0f msg/s; %+v", n, time.Since(start), n/time.Since(start).Seconds(), sys.Stats())
		}
		require.NoError(t, w.Barrier(ctx))
		return sys.Close(ctx)
	})
	require.NoError(t, err)
}
