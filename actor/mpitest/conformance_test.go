//go:build mpi

// Package mpitest runs the actor runtime's conformance suite as an MPI job.
// Run it under mpirun:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./actor/mpitest/
package mpitest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/rmactor/rmactor/actor/actortest"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// world is this test process's rank.
var world *mpi.World

func TestMain(m *testing.M) {
	w, err := mpi.Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mpi init:", err)
		os.Exit(1)
	}
	world = w
	code := m.Run()
	if code != 0 {
		// Any failing rank fails the whole job at once.
		fmt.Fprintf(os.Stderr, "rank %d: tests failed\n", w.Rank())
		w.Abort(code)
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mpi finalize:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// launch runs a case on this rank of the job; a rank's failure aborts the
// job (the other ranks would wait for it forever), a skip does not.
func launch(ctx context.Context, _ int, fn rma.Program) error {
	err := world.RunGuarded(ctx, fn)
	if err != nil && !errors.Is(err, rmatest.ErrSkip) {
		world.Fail(err)
	}
	return err
}

// TestConformance runs the actor conformance suite on the MPI job's ranks.
// RMACTOR_STRESS_MESSAGES scales the load cases.
func TestConformance(t *testing.T) {
	cfg, err := actortest.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	actortest.Run(t, launch, cfg)
}
