package cluster

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// abortWait bounds how long a failing rank's teardown waits for goroutines
// still running an actor's handler. Handlers that return promptly (the
// usual case, and every handler blocked on a request: the teardown answers
// those) take microseconds; a handler that blocks for good only delays the
// error by this much and is then left to finish by itself.
const abortWait = 10 * time.Second

// abort tears this rank's part of the job down on this rank alone, when its
// program failed, panicked, or the job's collective end (Quiesce, Close)
// did: the other ranks may be gone or failing, so nothing here is
// collective. The actor system is aborted (System.Abort: goroutines
// stopped, pending requests answered, protoactor shut down); the waves
// window is dropped, not freed, since freeing is collective: in process its
// memory goes with the rank's last reference, under MPI at MPI_Finalize.
//
// The wait does not use ctx, which is usually what failed (or was cancelled
// because another rank failed).
func (c *Cluster) abort(ctx context.Context) {
	if c.sys == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortWait)
	defer cancel()
	if err := c.sys.Abort(ctx); err != nil {
		c.sys.Logger().Warn("cluster: teardown of a failed rank left goroutines running", zap.Error(err))
	}
}
