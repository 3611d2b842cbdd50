package pingpong

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
