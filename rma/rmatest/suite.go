// Package rmatest is the conformance suite every rma backend must pass. A
// backend's test calls Run with a Launcher; each case is an SPMD program that
// runs on every rank and reports failure as an error, so the same suite runs
// in one process (rma/local) and as an MPI job (rma/mpi).
package rmatest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rmactor/rmactor/rma"
)

// Program is what every rank of a case runs.
type Program = rma.Program

// Launcher runs fn on every rank of a world of the given number of ranks and
// returns the first error. A backend whose world size is fixed by its
// launcher (mpirun -n) runs on that size instead: every case adapts to
// w.Size().
type Launcher func(ctx context.Context, ranks int, fn Program) error

// Config scales the suite.
type Config struct {
	// StressMessages is the number of messages in each exactly-once stress
	// run (at least 1 M for the full suite).
	StressMessages int
	// Timeout bounds each case.
	Timeout time.Duration
}

// DefaultConfig is the full suite.
func DefaultConfig() Config { return Config{StressMessages: 1 << 20, Timeout: 5 * time.Minute} }

// ConfigFromEnv is DefaultConfig with RMACTOR_STRESS_MESSAGES, if set,
// scaling the stress cases.
func ConfigFromEnv() (Config, error) {
	cfg := DefaultConfig()
	if s := os.Getenv("RMACTOR_STRESS_MESSAGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("RMACTOR_STRESS_MESSAGES=%q: want a positive count", s)
		}
		cfg.StressMessages = n
	}
	return cfg, nil
}

type testCase struct {
	name  string
	ranks int // ranks wanted where the launcher can choose
	min   int // fewest ranks the case needs
	prog  func(cfg Config) Program
}

// Run runs every case of the suite.
func Run(t *testing.T, launch Launcher, cfg Config) {
	t.Helper()
	var cases []testCase
	cases = append(cases, worldCases()...)
	cases = append(cases, channelCases()...)
	cases = append(cases, claimCases()...)
	cases = append(cases, asyncCases()...)
	cases = append(cases, arenaCases()...)
	cases = append(cases, tryCases()...)
	cases = append(cases, stressCases()...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
			defer cancel()
			err := launch(ctx, c.ranks, func(ctx context.Context, w rma.World) error {
				if w.Size() < c.min {
					return errSkip
				}
				return c.prog(cfg)(ctx, w)
			})
			if isSkip(err) {
				t.Skipf("needs at least %d ranks", c.min)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// ErrSkip is returned by every rank of a case the world is too small for. A
// launcher that aborts the job on a rank's error must let it through.
var ErrSkip = errors.New("rmatest: skipped: not enough ranks")

var errSkip = ErrSkip

func isSkip(err error) bool { return errors.Is(err, errSkip) }
