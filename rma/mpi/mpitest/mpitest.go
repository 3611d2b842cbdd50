//go:build mpi

// Package mpitest runs a test binary as an MPI job (go test -exec
// "mpirun -n N"): every rank runs the same tests, and a rank that fails
// ends the whole job at once instead of leaving the others waiting.
package mpitest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// Main is the binary's TestMain: it initialises MPI, hands the world to
// use, runs the tests, aborts the job if they failed on this rank, and
// finalises MPI; then it fails the rank if a goroutine is still running a
// few seconds later (goleak). It does not return.
func Main(m *testing.M, use func(*mpi.World)) {
	w, err := mpi.Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mpi init:", err)
		os.Exit(1)
	}
	use(w)
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "rank %d: tests failed\n", w.Rank())
		w.Abort(code)
	}
	if err := w.Close(); errors.Is(err, mpi.ErrFinalizeTimeout) {
		// The tests passed and every window and channel is gone; the MPI
		// library's teardown is stuck (MPICH over UCX on TCP, see
		// World.Close). Say so, and end with the tests' result: the MPI
		// thread is stuck too, so the leak check cannot run.
		fmt.Fprintf(os.Stderr, "rank %d: warning: %v\n", w.Rank(), err)
		os.Exit(code)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "mpi finalize:", err)
		os.Exit(1)
	}
	// Checked once MPI is finalised, when the goroutine that ran MPI on
	// its locked thread has ended too: every goroutine left is a leak. (A
	// leak found here can no longer abort the job; this rank's exit code
	// fails it.) MPI's own threads are not goroutines.
	if err := leakcheck.Lasting(leakcheck.Linger); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: goleak: Errors on successful test run: %v\n", w.Rank(), err)
		os.Exit(1)
	}
	os.Exit(code)
}

// Launcher runs a suite's case on this rank of the job, whatever the
// number of ranks the case asks for (cases adapt to the job's size). A
// failure aborts the job; a skip (rmatest.ErrSkip) does not.
func Launcher(w *mpi.World) rmatest.Launcher {
	return func(ctx context.Context, _ int, fn rma.Program) error {
		err := w.RunGuarded(ctx, fn)
		if err != nil && !errors.Is(err, rmatest.ErrSkip) {
			w.Fail(err)
		}
		return err
	}
}
