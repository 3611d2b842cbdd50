package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

// ErrUnknownKind reports a kind no rank registered. A spawn request that
// names one fails with it on the requesting rank too.
var ErrUnknownKind = actor.ErrUnknownKind

// Cluster is one rank's view of the job.
type Cluster struct {
	w     rma.World
	waves rma.Window // termination-detection counters (quiesce.go)
	sys   *actor.System
	kinds map[string]*actor.Props

	seq    atomic.Uint64 // collectives issued by this rank, in SPMD order
	mu     sync.Mutex
	rounds map[uint64]*round
}

// Run starts the job and runs fn on every rank: in-process ranks
// (cfg.Ranks), or the ranks of the MPI job when built with -tags mpi and
// started by mpirun. It returns once every rank's fn has returned, no
// message is in flight or being handled anywhere (Quiesce), and the actor
// systems are shut down; the error names the rank that failed first.
func Run(ctx context.Context, cfg Config, fn func(ctx context.Context, c *Cluster) error) error {
	if _, err := cfg.kinds(); err != nil {
		return err
	}
	return launch.Run(ctx, cfg.Ranks, func(ctx context.Context, w rma.World) error {
		return RunOn(ctx, w, cfg, fn)
	})
}

// RunOn is Run on a world that already exists (this rank's part of it): it
// starts the actor systems (collectively), runs fn, and shuts them down:
// collectively once every rank's fn succeeded, otherwise on this rank alone
// (teardown.go), also when fn panics.
func RunOn(ctx context.Context, w rma.World, cfg Config, fn func(ctx context.Context, c *Cluster) error) error {
	c, err := start(ctx, w, cfg)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok { // an error, or a panic on its way to the launcher's recover
			c.abort(ctx)
		}
	}()
	if err := fn(ctx, c); err != nil {
		return err
	}
	// The job is done when every rank's program has returned and no
	// message is in flight or being handled anywhere.
	if err := c.Quiesce(ctx); err != nil {
		return err
	}
	if err := errors.Join(c.sys.Close(ctx), c.waves.Free(ctx)); err != nil {
		return err
	}
	ok = true
	return nil
}

func start(ctx context.Context, w rma.World, cfg Config) (*Cluster, error) {
	kinds, err := cfg.kinds()
	if err != nil {
		return nil, err
	}
	cod, err := codec.New(cfg.Types...)
	if err != nil {
		return nil, err
	}
	c := &Cluster{w: w, kinds: kinds, rounds: make(map[uint64]*round)}
	if c.waves, err = w.Allocate(ctx, waveBytes); err != nil {
		return nil, fmt.Errorf("cluster: start: %w", err)
	}
	// On failure the rank is torn down on its own (teardown.go): a
	// collective Free here would meet the other ranks' next collective
	// (they may have got further, or not as far), and they may be gone.
	opts := append([]actor.Option{actor.WithCodec(cod), actor.WithActivator(c.activator)}, cfg.System...)
	if c.sys, err = actor.NewSystem(ctx, w, opts...); err != nil {
		return nil, err
	}
	if err := c.startServices(); err != nil {
		c.abort(ctx)
		return nil, err
	}
	// Every rank's services exist before anyone uses them.
	if err := w.Barrier(ctx); err != nil {
		c.abort(ctx)
		return nil, fmt.Errorf("cluster: start: %w", err)
	}
	return c, nil
}

// Rank is this rank's number.
func (c *Cluster) Rank() int { return c.w.Rank() }

// Size is the number of ranks.
func (c *Cluster) Size() int { return c.w.Size() }

// System is this rank's actor system.
func (c *Cluster) System() *actor.System { return c.sys }

// World is the job's world, for RemoteChannels next to the actors.
func (c *Cluster) World() rma.World { return c.w }

// Barrier waits until every rank has called it.
func (c *Cluster) Barrier(ctx context.Context) error { return c.w.Barrier(ctx) }
