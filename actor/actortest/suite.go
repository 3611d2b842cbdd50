// Package actortest is the conformance suite of the actor runtime: the same
// cases run in one process (rma/local) and as an MPI job (rma/mpi), so that
// what the actor package promises holds on every backend.
//
// A backend's test calls Run with an rmatest.Launcher. Each case is an SPMD
// program that every rank runs: it makes the rank's actor.System, plays its
// scenario and closes the system (collectively). Ranks share nothing but
// actor messages, barriers and windows: under MPI they are separate
// processes. Each rank has a named "collector" actor (PIDs and results
// travel to it) and a named "echo" actor that answers every request with
// the request. A case reports failure as an error; the cases adapt to the
// world's size.
package actortest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// Program is what every rank of a case runs.
type Program = rma.Program

// Config scales the suite.
type Config struct {
	// Messages bounds the messages of each load case (many actors, cycles
	// of 2-slot mailboxes, FIFO order).
	Messages int
	// Actors is the number of actors the many-actors case spawns on one
	// rank, at most (it spawns fewer when Messages cannot give each actor a
	// message from every other rank).
	Actors int
	// LargeBytes is the largest message the large-message cases send
	// across ranks.
	LargeBytes int
	// Timeout bounds each case.
	Timeout time.Duration
}

// DefaultConfig is the full suite: 10 000 actors on one rank.
func DefaultConfig() Config {
	return Config{Messages: 1 << 18, Actors: 10000, LargeBytes: 100 << 20, Timeout: 5 * time.Minute}
}

// ConfigFromEnv is DefaultConfig with RMACTOR_STRESS_MESSAGES, if set,
// scaling the load cases, as it scales rmatest's stress cases: the load
// cases send about that many messages, and the many-actors case spawns at
// most that many actors. RMACTOR_LARGE_BYTES, if set, is LargeBytes (the
// multi-host leg sends at most 16 MiB across its TCP links).
func ConfigFromEnv() (Config, error) {
	cfg := DefaultConfig()
	if s := os.Getenv("RMACTOR_STRESS_MESSAGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("RMACTOR_STRESS_MESSAGES=%q: want a positive count", s)
		}
		cfg.Messages = n
		cfg.Actors = min(cfg.Actors, n)
	}
	if s := os.Getenv("RMACTOR_LARGE_BYTES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("RMACTOR_LARGE_BYTES=%q: want a positive byte count", s)
		}
		cfg.LargeBytes = n
	}
	return cfg, nil
}

type testCase struct {
	name  string
	ranks int // ranks wanted where the launcher can choose
	min   int // fewest ranks the case needs
	prog  func(cfg Config) Program
}

func cases() []testCase {
	var cs []testCase
	cs = append(cs, requestCases()...)
	cs = append(cs, lifecycleCases()...)
	cs = append(cs, deadLetterCases()...)
	cs = append(cs, claimCases()...)
	cs = append(cs, loadCases()...)
	cs = append(cs, supervisionCases()...)
	cs = append(cs, closeCases()...)
	cs = append(cs, largeCases()...)
	cs = append(cs, failureCases()...)
	return cs
}

// Run runs every case of the suite, each under cfg.Timeout. A launcher
// whose world size is fixed (mpirun -n) runs every case on that size; a
// case the world is too small for is skipped (every rank returns
// rmatest.ErrSkip).
func Run(t *testing.T, launch rmatest.Launcher, cfg Config) {
	t.Helper()
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
			defer cancel()
			start := time.Now()
			var size atomic.Int64
			err := launch(ctx, c.ranks, func(ctx context.Context, w rma.World) error {
				size.Store(int64(w.Size()))
				if w.Size() < c.min {
					return rmatest.ErrSkip
				}
				return c.prog(cfg)(ctx, w)
			})
			if errors.Is(err, rmatest.ErrSkip) {
				t.Skipf("needs at least %d ranks", c.min)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d ranks, %v", size.Load(), time.Since(start).Round(time.Millisecond))
		})
	}
}
