//go:build mpi

package mpi

// #include "shim.h"
import "C"

import (
	"fmt"
	"os"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// progressInterval reads RMACTOR_MPI_PROGRESS: how often the progress
// thread enters MPI (a Go duration such as "100us"), or "off" (the
// default, also when empty). Off by default because measured across two
// namespace hosts it slowed both Open MPI 4.1.4 (osc ucx over TCP: one-way
// 2 045 → 708 msg/s at 100 µs, and slower at 1 ms too) and MPICH 4.0
// (6 954 → 5 902 msg/s): a second thread in MPI contends with the rank's
// own calls (docs/running-with-mpi.md, "Progress across hosts").
func progressInterval() (time.Duration, bool, error) {
	v := os.Getenv("RMACTOR_MPI_PROGRESS")
	switch v {
	case "", "off":
		return 0, false, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Microsecond || d > time.Second {
		return 0, false, fmt.Errorf("%w: RMACTOR_MPI_PROGRESS=%q: want off or a duration from 1us to 1s", rma.ErrInvalidArgument, v)
	}
	return d, true, nil
}

// startProgress starts the progress thread (shim.h) on worlds whose
// windows are one-sided MPI windows: there an operation aimed at this rank
// completes only while this rank is inside MPI. Node shared-memory windows
// need no progress, and get no thread.
func (w *World) startProgress() error {
	if w.shared {
		return nil
	}
	d, on, err := progressInterval()
	if err != nil || !on {
		return err
	}
	if w.progress = C.rm_progress_start(C.long(d.Nanoseconds())); w.progress == nil {
		return fmt.Errorf("mpi: cannot start the progress thread")
	}
	return nil
}

// stopProgress stops the progress thread before MPI_Finalize.
func (w *World) stopProgress() {
	if w.progress != nil {
		C.rm_progress_stop(w.progress)
		w.progress = nil
	}
}

// ProgressRounds is how many times the progress thread has entered MPI; 0
// if this world has none (node shared memory, or RMACTOR_MPI_PROGRESS
// unset or off). Call it before Close.
func (w *World) ProgressRounds() uint64 {
	if w.progress == nil {
		return 0
	}
	return uint64(C.rm_progress_rounds(w.progress))
}
