package launch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

// TestMain fails the package's tests if a goroutine is still running a few
// seconds after they passed (goleak).
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// TestFailingRankEndsRun: a rank that fails while the others wait in a
// collective call ends Run with its error, and (TestMain) leaves no
// goroutine behind. Under MPI the failing rank aborts the job instead, which
// launch/jobtest checks.
func TestFailingRankEndsRun(t *testing.T) {
	if launch.Backend() != "local" {
		t.Skip("in-process backend only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	boom := errors.New("boom")
	err := launch.Run(ctx, 3, func(ctx context.Context, w rma.World) error {
		if w.Rank() == 1 {
			return boom
		}
		if _, err := w.Allocate(ctx, 1<<20); err != nil {
			return err
		}
		return w.Barrier(ctx)
	})
	require.ErrorIs(t, err, boom)
	var re *rma.RankError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 1, re.Rank)
	require.NoError(t, ctx.Err())
}
