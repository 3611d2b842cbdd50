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

// TestPingPongAcrossRanks: rank 1 hosts an echo actor; rank 0 requests.
func TestPingPongAcrossRanks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w)
		if err != nil {
			return err
		}
		if w.Rank() == 1 {
			_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
					c.Respond(wrapperspb.Int64(m.Value + 1))
				}
			}), "echo")
			if err != nil {
				return err
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if w.Rank() == 0 {
			for i := range int64(100) {
				v, err := sys.Request(ctx, actor.PIDOn(1, "echo"), wrapperspb.Int64(i))
				if err != nil {
					return err
				}
				if v.(*wrapperspb.Int64Value).Value != i+1 {
					t.Errorf("reply %v to %d", v, i)
				}
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return sys.Close(ctx)
	})
	require.NoError(t, err)
}
