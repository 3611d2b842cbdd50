package cluster

import (
	"context"
	"fmt"
	"hash/fnv"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
)

// spawnerName is the named actor on every rank that spawns kinds for other
// ranks.
const spawnerName = "cluster:spawner"

// startServices spawns this rank's spawner and collector.
func (c *Cluster) startServices() error {
	spawner := actor.PropsFromFunc(func(ctx actor.Context) {
		req, ok := ctx.Message().(*wrapperspb.StringValue)
		if !ok {
			return
		}
		pid, err := c.spawnLocal(req.Value)
		if err != nil {
			ctx.Respond(wrapperspb.String(err.Error()))
			return
		}
		ctx.Respond(pid)
	})
	if _, err := c.sys.SpawnNamed(spawner, spawnerName); err != nil {
		return err
	}
	_, err := c.sys.SpawnNamed(actor.PropsFromFunc(c.collect), collectorName)
	return err
}

func (c *Cluster) spawnLocal(kind string) (*actor.PID, error) {
	props, ok := c.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("%w: %q on rank %d", ErrUnknownKind, kind, c.Rank())
	}
	return c.sys.Spawn(props)
}

// SpawnOn spawns an actor of kind on rank and returns its PID, which works
// from any rank.
func (c *Cluster) SpawnOn(ctx context.Context, rank int, kind string) (*actor.PID, error) {
	if rank < 0 || rank >= c.Size() {
		return nil, fmt.Errorf("%w: spawn on rank %d of %d", rma.ErrInvalidRank, rank, c.Size())
	}
	if _, ok := c.kinds[kind]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	if rank == c.Rank() {
		return c.spawnLocal(kind)
	}
	reply, err := c.sys.Request(ctx, actor.PIDOn(rank, spawnerName), wrapperspb.String(kind))
	if err != nil {
		return nil, fmt.Errorf("cluster: spawn %q on rank %d: %w", kind, rank, err)
	}
	switch r := reply.(type) {
	case *actor.PID:
		return r, nil
	case *wrapperspb.StringValue:
		return nil, fmt.Errorf("cluster: spawn %q on rank %d: %s", kind, rank, r.Value)
	}
	return nil, fmt.Errorf("%w: spawner answered %T", rma.ErrCorrupt, reply)
}

// SpawnEverywhere spawns one actor of kind on every rank; the PIDs are in
// rank order.
func (c *Cluster) SpawnEverywhere(ctx context.Context, kind string) ([]*actor.PID, error) {
	pids := make([]*actor.PID, c.Size())
	for k := range pids {
		pid, err := c.SpawnOn(ctx, k, kind)
		if err != nil {
			return nil, err
		}
		pids[k] = pid
	}
	return pids, nil
}

// SpawnByKey spawns an actor of kind on the rank key hashes to (RankOf).
func (c *Cluster) SpawnByKey(ctx context.Context, kind, key string) (*actor.PID, error) {
	return c.SpawnOn(ctx, c.RankOf(key), kind)
}

// RankOf is the rank a key is placed on: a stable hash (FNV-1a, 64 bits)
// modulo the number of ranks, the same on every rank and in every run.
func (c *Cluster) RankOf(key string) int { return placeKey(key, c.Size()) }

func placeKey(key string, size int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum64() % uint64(size))
}
