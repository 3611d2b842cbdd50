//go:build mpi

// Package mpitest runs the actor runtime's conformance suite as an MPI job.
// Run it under mpirun:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./actor/mpitest/
package mpitest

import (
	"testing"

	"github.com/rmactor/rmactor/actor/actortest"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/mpi/mpitest"
)

// world is this test process's rank.
var world *mpi.World

func TestMain(m *testing.M) { mpitest.Main(m, func(w *mpi.World) { world = w }) }

// TestConformance runs the actor conformance suite on the MPI job's ranks.
// RMACTOR_STRESS_MESSAGES scales the load cases.
func TestConformance(t *testing.T) {
	cfg, err := actortest.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	actortest.Run(t, mpitest.Launcher(world), cfg)
}
