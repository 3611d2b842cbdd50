package actor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// TestSendToRankThatLeft: rank 1 tears its system down and returns from
// its program without Close; rank 0 keeps sending to rank 1's actor with
// System.Send. Once the actor's 2-slot mailbox is full the sender waits
// for room, and that wait ends with ErrRankClosed (not at ctx's deadline,
// which would be ErrMailboxFull).
func TestSendToRankThatLeft(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pids := make(chan *actor.PID, 1)
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w, actor.WithMailboxCapacity(2))
		if err != nil {
			return err
		}
		defer func() { _ = sys.Abort(context.Background()) }()
		if w.Rank() == 1 {
			pid, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
			if err != nil {
				return err
			}
			pids <- pid
			return nil // leaves without Close
		}
		pid := <-pids
		sendCtx, stop := context.WithTimeout(ctx, 20*time.Second)
		defer stop()
		for i := range int64(1 << 22) {
			err := sys.Send(sendCtx, pid, wrapperspb.Int64(i))
			if errors.Is(err, actor.ErrRankClosed) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		return errors.New("4 M sends to a rank that left all found room")
	})
	require.NoError(t, err)
}
