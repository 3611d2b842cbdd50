//go:build mpi

// Package mpitest runs the cluster cases as an MPI job:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./cluster/mpitest/
package mpitest

import (
	"flag"
	"testing"
	"time"

	"github.com/rmactor/rmactor/cluster/clustertest"
	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/mpi/mpitest"
)

var world *mpi.World

func TestMain(m *testing.M) { mpitest.Main(m, func(w *mpi.World) { world = w }) }

func TestCluster(t *testing.T) { clustertest.Run(t, mpitest.Launcher(world)) }

var soakFor = flag.Duration("soak", 0, "run the soak test at least this long (by default, 20 rounds)")

// TestSoak runs the soak test on the job's ranks:
//
//	go test -tags mpi -c -o /tmp/mpitest ./cluster/mpitest/
//	timeout 900 mpirun --oversubscribe --bind-to none -n 4 /tmp/mpitest -test.run TestSoak -test.v -soak 5m
func TestSoak(t *testing.T) {
	clustertest.SoakTest(t, mpitest.Launcher(world), world.Size(), clustertest.SoakConfig{
		Rounds: 20, Warmup: 8, For: *soakFor, Seed: uint64(time.Now().UnixNano()), HeapSlack: 8 << 20,
	})
}
