//go:build mpi

// Package mpitest runs the cluster cases as an MPI job:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./cluster/mpitest/
package mpitest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/rmactor/rmactor/cluster/clustertest"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/rmatest"
)

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
		fmt.Fprintf(os.Stderr, "rank %d: tests failed\n", w.Rank())
		w.Abort(code)
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mpi finalize:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func launch(ctx context.Context, _ int, fn rma.Program) error {
	err := world.RunGuarded(ctx, fn)
	if err != nil && !errors.Is(err, rmatest.ErrSkip) {
		world.Fail(err)
	}
	return err
}

func TestCluster(t *testing.T) { clustertest.Run(t, launch) }
