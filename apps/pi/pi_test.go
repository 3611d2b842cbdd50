package pi_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/pi"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

func TestPi(t *testing.T) {
	for _, ranks := range []int{1, 2, 4} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cfg := pi.Cluster()
		cfg.Ranks = ranks
		var out bytes.Buffer
		app := pi.Config{Tasks: 2000, Steps: 50, Chunk: 8, Workers: 2}
		err := cluster.Run(ctx, cfg, func(ctx context.Context, c *cluster.Cluster) error {
			var o bytes.Buffer
			err := pi.Run(ctx, c, app, &o)
			if c.Rank() == 0 {
				out = o
			}
			return err
		})
		cancel()
		require.NoError(t, err, "ranks=%d", ranks)
		require.True(t, strings.HasPrefix(out.String(), "pi ≈ 3.14159"), out.String())
		// Midpoint rule with 100 000 steps: error far below 1e-9.
		var got float64
		_, scanErr := fmt.Sscanf(out.String(), "pi ≈ %g", &got)
		require.NoError(t, scanErr)
		require.Less(t, math.Abs(got-math.Pi), 1e-9)
	}
}

func TestPiRejectsBadConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := pi.Cluster()
	cfg.Ranks = 1
	err := cluster.Run(ctx, cfg, func(ctx context.Context, c *cluster.Cluster) error {
		return pi.Run(ctx, c, pi.Config{}, &bytes.Buffer{})
	})
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
}
