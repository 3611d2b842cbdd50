package conveyor_test

import (
	"context"
	"testing"

	"github.com/rmactor/rmactor/conveyor/conveyortest"
	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// TestMain fails the package's tests if a goroutine is still running a few
// seconds after they passed (goleak).
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

func TestConveyor(t *testing.T) {
	conveyortest.Run(t, func(ctx context.Context, ranks int, fn rma.Program) error {
		return local.Run(ctx, ranks, fn)
	})
}
