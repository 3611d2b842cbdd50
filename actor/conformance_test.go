package actor_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/rmactor/rmactor/actor/actortest"
	"github.com/rmactor/rmactor/rma/local"
	"github.com/rmactor/rmactor/rma/rmatest"
)

// TestConformance runs the actor runtime's conformance suite in process,
// each case on the number of ranks it asks for. RMACTOR_STRESS_MESSAGES
// scales the load cases.
func TestConformance(t *testing.T) {
	cfg, err := actortest.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	actortest.Run(t, func(ctx context.Context, ranks int, fn rmatest.Program) error {
		return local.Run(ctx, ranks, fn)
	}, cfg)
}

// TestConformanceFixedSizes runs the suite the way an MPI job does: every
// case on the same number of ranks, whatever it asks for. Cases must adapt.
func TestConformanceFixedSizes(t *testing.T) {
	cfg := actortest.DefaultConfig()
	cfg.Messages, cfg.Actors, cfg.LargeBytes = 1<<14, 2000, 16<<20
	for _, n := range []int{1, 2, 3, 5} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			actortest.Run(t, func(ctx context.Context, _ int, fn rmatest.Program) error {
				return local.Run(ctx, n, fn)
			}, cfg)
		})
	}
}
