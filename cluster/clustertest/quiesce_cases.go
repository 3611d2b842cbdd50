package clustertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
)

// Random message trees: every rank starts roots at a named "tree" actor of
// a random rank; a message of depth d > 0 makes its handler send fanout
// messages of depth d−1 to random ranks. Each rank's program returns at
// once; Quiesce must not return before every message of every tree was
// handled, which the counts gathered right after it check exactly.
const (
	treeRoots  = 4
	treeDepth  = 5
	treeFanout = 3
)

func treeSize() int64 {
	total, level := int64(0), int64(1)
	for range treeDepth + 1 {
		total += level
		level *= treeFanout
	}
	return total
}

func messageTrees(ctx context.Context, c *cluster.Cluster) error {
	var handled atomic.Int64
	size := c.Size()
	rng := rand.New(rand.NewPCG(uint64(c.Rank()), 7))
	_, err := c.System().SpawnNamed(actor.PropsFromFunc(func(ac actor.Context) {
		m, ok := ac.Message().(*wrapperspb.Int64Value)
		if !ok {
			return
		}
		handled.Add(1)
		depth, seed := m.Value>>32, m.Value&0xffffffff
		if depth == 0 {
			return
		}
		r := rand.New(rand.NewPCG(uint64(seed), uint64(depth)))
		for range treeFanout {
			ac.Send(actor.PIDOn(r.IntN(size), "tree"), wrapperspb.Int64((depth-1)<<32|int64(r.Uint32())))
		}
	}), "tree")
	if err != nil {
		return err
	}
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	for range treeRoots {
		msg := wrapperspb.Int64(treeDepth<<32 | int64(rng.Uint32()))
		if err := c.System().Send(ctx, actor.PIDOn(rng.IntN(size), "tree"), msg); err != nil {
			return err
		}
	}
	if err := c.Quiesce(ctx); err != nil {
		return err
	}
	counts, err := cluster.Gather(ctx, c, wrapperspb.Int64(handled.Load()))
	if err != nil || c.Rank() != 0 {
		return err
	}
	var total int64
	for _, n := range counts {
		total += n.Value
	}
	if want := int64(size) * treeRoots * treeSize(); total != want {
		return fmt.Errorf("quiesce returned with %d of %d tree messages handled", total, want)
	}
	return nil
}
