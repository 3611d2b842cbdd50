package actor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// A relayed mailbox whose actor is stuck holds no more frames than its
// ring would (the relay's credits), the sender waits rather than piling
// messages up at the receiver, and once the actor moves every message
// arrives, in order.
func TestRelayBoundsASlowMailbox(t *testing.T) {
	const capacity, count = 4, 500
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pids := make(chan *actor.PID, 1)
	gate := make(chan struct{})
	got := make(chan int64, count)
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w, actor.WithAggregation(false), actor.WithMailboxCapacity(capacity),
			actor.WithRelay(actor.RelayOn))
		if err != nil {
			return err
		}
		if !sys.Stats().Relay {
			return errors.New("relay on, yet Stats().Relay is false")
		}
		if w.Rank() == 1 {
			pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
					if m.Value == 0 {
						<-gate
					}
					got <- m.Value
				}
			}))
			if err != nil {
				return err
			}
			pids <- pid
			// Wait until the relay queue holds a full ring's worth behind
			// the stuck actor, then let it go.
			for sys.Stats().RingHighWater < capacity {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("the relay queue never filled: %w", err)
				}
				runtime.Gosched()
			}
			close(gate)
		} else {
			pid := <-pids
			for i := range int64(count) {
				if err := sys.Send(ctx, pid, wrapperspb.Int64(i)); err != nil {
					return err
				}
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 1 {
			for i := range int64(count) {
				select {
				case v := <-got:
					if v != i {
						return fmt.Errorf("message %d arrived as number %d", v, i)
					}
				case <-ctx.Done():
					return fmt.Errorf("%d of %d messages arrived: %w", i, count, ctx.Err())
				}
			}
			if hw := sys.Stats().RingHighWater; hw > capacity {
				return fmt.Errorf("%d frames waited in the relay queue, more than the %d credits", hw, capacity)
			}
		}
		return sys.Close(ctx)
	})
	require.NoError(t, err)
}

// worldWithoutMessages hides the in-process world's messages.
type worldWithoutMessages struct{ rma.World }

// Relay on, on a world that carries no messages, is refused by name.
func TestRelayOnNeedsMessages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		_, err := actor.NewSystem(ctx, worldWithoutMessages{w}, actor.WithRelay(actor.RelayOn))
		return err
	})
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
	require.ErrorContains(t, err, "carries no messages")
}

// RMACTOR_RELAY takes auto, on and off, and nothing else.
func TestRelayFromEnvironment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		env   string
		relay bool
		err   error
	}{{"on", true, nil}, {"off", false, nil}, {"auto", false, nil}, {"sometimes", false, rma.ErrInvalidArgument}} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("RMACTOR_RELAY", tc.env)
			err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
				sys, err := actor.NewSystem(ctx, w)
				if err != nil {
					return err
				}
				if got := sys.Stats().Relay; got != tc.relay {
					return fmt.Errorf("RMACTOR_RELAY=%s: Stats().Relay = %v", tc.env, got)
				}
				return sys.Close(ctx)
			})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
		})
	}
}
