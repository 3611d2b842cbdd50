package local_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/rmactor/rmactor/rma/local"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// TestConformance runs the whole rma conformance suite in process.
// RMACTOR_STRESS_MESSAGES scales the stress cases (default 1 M).
func TestConformance(t *testing.T) {
	cfg, err := rmatest.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	rmatest.Run(t, func(ctx context.Context, ranks int, fn rmatest.Program) error {
		return local.Run(ctx, ranks, fn)
	}, cfg)
}

// TestConformanceFixedSizes runs the suite the way an MPI job does: every
// case on the same number of ranks, whatever it asks for. Cases must adapt.
func TestConformanceFixedSizes(t *testing.T) {
	cfg := rmatest.DefaultConfig()
	cfg.StressMessages = 1 << 14
	for _, n := range []int{1, 2, 3, 4, 5} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			rmatest.Run(t, func(ctx context.Context, _ int, fn rmatest.Program) error {
				return local.Run(ctx, n, fn)
			}, cfg)
		})
	}
}
