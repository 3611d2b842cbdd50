// Package launch runs an SPMD program on the backend the binary was built
// for: built with -tags mpi, on the ranks of the MPI job (started by mpirun;
// started directly, a single rank); otherwise on in-process ranks. The same
// program, unchanged, runs both ways.
package launch

import (
	"context"

	"github.com/rmactor/rmactor/rma"
)

// Run runs fn on every rank. In-process, ranks is the number of ranks and
// Run returns the first rank's error (an *rma.RankError). Under MPI the job's
// size decides and ranks is ignored; a rank that fails prints its error,
// naming the rank, and aborts the whole job with a non-zero exit code, so
// Run returns only when every rank succeeded.
func Run(ctx context.Context, ranks int, fn rma.Program) error {
	return run(ctx, ranks, fn)
}

// Backend names the backend this binary was built for: "local" or "mpi".
func Backend() string { return backend }
