package pagerank_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/apps/pagerank"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

func TestPageRankMatchesSequential(t *testing.T) {
	var first string
	for _, ranks := range []int{1, 2, 3} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var report bytes.Buffer
		err := cluster.Run(ctx, cluster.Config{Ranks: ranks}, func(ctx context.Context, c *cluster.Cluster) error {
			var o bytes.Buffer
			cfg := pagerank.Config{Nodes: 2000, Degree: 5, Iterations: 6, Damping: 0.85, Top: 3, Check: true}
			err := pagerank.Run(ctx, c, cfg, &o)
			if c.Rank() == 0 {
				report = o
			}
			return err
		})
		cancel()
		require.NoError(t, err, "ranks=%d", ranks)
		require.Contains(t, report.String(), "check: matches the sequential PageRank")
		body := report.String()[strings.Index(report.String(), "\n"):]
		if first == "" {
			first = body
		}
		require.Equal(t, first, body, "ranks=%d", ranks)
	}
}

func TestBadConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cluster.Run(ctx, cluster.Config{Ranks: 1}, func(ctx context.Context, c *cluster.Cluster) error {
		return pagerank.Run(ctx, c, pagerank.Config{Nodes: 1, Degree: 1}, io.Discard)
	})
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
}
