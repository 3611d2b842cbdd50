package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/cluster/clustertest"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

func TestCluster(t *testing.T) {
	clustertest.Run(t, func(ctx context.Context, ranks int, fn rma.Program) error {
		return local.Run(ctx, ranks, fn)
	})
}

func TestFailingRankIsNamed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	boom := errors.New("boom")
	err := cluster.Run(ctx, cluster.Config{Ranks: 3}, func(ctx context.Context, c *cluster.Cluster) error {
		if c.Rank() == 2 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 2, re.Rank)
}

func TestBadKinds(t *testing.T) {
	ctx := context.Background()
	err := cluster.Run(ctx, cluster.Config{Ranks: 1, Kinds: []cluster.Kind{{Name: "x"}}}, nil)
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
	dup := cluster.NewKind("a", nil)
	err = cluster.Run(ctx, cluster.Config{Ranks: 1, Kinds: []cluster.Kind{{Name: ""}, dup}}, nil)
	require.ErrorIs(t, err, rma.ErrInvalidArgument)
}
