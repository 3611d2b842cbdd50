package indexgather_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/indexgather"
	"github.com/rmactor/rmactor/cluster"
)

func TestIndexGather(t *testing.T) {
	for _, ranks := range []int{1, 3} {
		for _, agg := range []bool{true, false} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cfg := indexgather.Config{Reads: 3000, Table: 50, Aggregate: agg}
			ccfg := indexgather.Cluster(cfg)
			ccfg.Ranks = ranks
			var out bytes.Buffer
			err := cluster.Run(ctx, ccfg, func(ctx context.Context, c *cluster.Cluster) error {
				var o bytes.Buffer
				err := indexgather.Run(ctx, c, cfg, &o)
				if c.Rank() == 0 {
					out = o
				}
				return err
			})
			cancel()
			require.NoError(t, err, "ranks=%d aggregate=%v", ranks, agg)
			require.Contains(t, out.String(), "every value checked")
		}
	}
}
