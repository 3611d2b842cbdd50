//go:build mpi

package mpi_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma"
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

// TestCloseDrainsUnreceived: messages nobody received, a large one among
// them (a rendezvous send that completes only once matched), do not
// outlive the channel: Close receives and drops them on every rank, so no
// send is left for MPI_Finalize to wait on (MPICH over UCX waits forever).
func TestCloseDrainsUnreceived(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := world.OpenMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 4<<20)
	var sends []rma.Sending
	for dest := range world.Size() {
		for _, data := range [][]byte{big, {1}, {}, big[:1000]} {
			s, err := m.Send(dest, data)
			if err != nil {
				t.Fatal(err)
			}
			sends = append(sends, s)
		}
	}
	if err := m.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if n := world.PendingSends(); n != 0 {
		t.Fatalf("%d sends still pending after Close", n)
	}
	for _, s := range sends {
		if _, err := s.Done(); err != nil && !errors.Is(err, rma.ErrClosed) {
			t.Fatalf("a drained send: %v", err)
		}
	}
}
