//go:build mpi

// Package mpitest runs the cluster cases as an MPI job:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./cluster/mpitest/
package mpitest

import (
	"testing"

	"github.com/rmactor/rmactor/cluster/clustertest"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/mpi/mpitest"
)

var world *mpi.World

func TestMain(m *testing.M) { mpitest.Main(m, func(w *mpi.World) { world = w }) }

func TestCluster(t *testing.T) { clustertest.Run(t, mpitest.Launcher(world)) }
