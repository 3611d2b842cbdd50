//go:build mpi

// Package mpitest runs the conveyor cases as an MPI job:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./conveyor/mpitest/
package mpitest

import (
	"testing"

	"github.com/rmactor/rmactor/conveyor/conveyortest"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/mpi/mpitest"
)

var world *mpi.World

func TestMain(m *testing.M) { mpitest.Main(m, func(w *mpi.World) { world = w }) }

func TestConveyor(t *testing.T) { conveyortest.Run(t, mpitest.Launcher(world)) }
