//go:build mpi

package mpi_test

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma/mpi"
	"github.com/rmactor/rmactor/rma/mpi/mpitest"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// world is this test process's rank. Run the tests as an MPI job:
//
//	go test -tags mpi -exec "timeout -k 10 600 mpirun --oversubscribe --bind-to none -n 2" ./rma/mpi/
var world *mpi.World

func TestMain(m *testing.M) { mpitest.Main(m, func(w *mpi.World) { world = w }) }

// TestConformance runs the whole rma conformance suite on the MPI job's
// ranks. RMACTOR_STRESS_MESSAGES scales the stress cases.
func TestConformance(t *testing.T) {
	cfg, err := rmatest.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	rmatest.Run(t, mpitest.Launcher(world), cfg)
}

// TestSecondInit: MPI is initialised once per process.
func TestSecondInit(t *testing.T) {
	_, err := mpi.Init()
	if !errors.Is(err, mpi.ErrInitialized) {
		t.Fatalf("second Init: %v, want ErrInitialized", err)
	}
}

// TestProgressThread: with RMACTOR_MPI_PROGRESS set on a one-sided world,
// the progress thread runs (and keeps running while the test waits for it);
// without it, or on node shared memory, there is none.
func TestProgressThread(t *testing.T) {
	v := os.Getenv("RMACTOR_MPI_PROGRESS")
	if v == "" || v == "off" || world.SharedMemory() {
		if r := world.ProgressRounds(); r != 0 {
			t.Fatalf("%d progress rounds without a progress thread", r)
		}
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	start := world.ProgressRounds()
	for world.ProgressRounds() < start+10 {
		if time.Now().After(deadline) {
			t.Fatalf("the progress thread did not run: %d rounds", world.ProgressRounds())
		}
		runtime.Gosched()
	}
}
