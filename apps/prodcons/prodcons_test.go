package prodcons

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

func run(t *testing.T, ranks int, cfg Config) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := local.Run(ctx, ranks, func(ctx context.Context, w rma.World) error {
		var o bytes.Buffer
		err := Run(ctx, w, cfg, &o)
		if w.Rank() == 0 {
			out = o
		}
		return err
	})
	return out.String(), err
}

func TestActorProducerConsumer(t *testing.T) {
	for _, ranks := range []int{2, 4, 5} {
		for _, records := range []int{0, 3, 20000} {
			out, err := run(t, ranks, Config{Records: records, Capacity: 4})
			require.NoError(t, err, "ranks=%d records=%d", ranks, records)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			require.Len(t, lines, ranks, "one line per consumer plus the total:\n%s", out)
			want := 0.0
			for i := range records {
				r := record(i)
				want += r.X[0] + r.X[1] + r.X[2]
			}
			require.Equal(t, fmt.Sprintf("total %d records, checksum %.0f (sequential %.0f)", records, want, want), lines[ranks-1])
			if records >= ranks-1 {
				// Round robin: every consumer got its exact share.
				require.Contains(t, lines[0], fmt.Sprintf("consumed %d records", (records+ranks-2)/(ranks-1)))
			}
		}
	}
}

func TestActorProducerConsumerNeedsTwoRanks(t *testing.T) {
	_, err := run(t, 1, Config{Records: 1, Capacity: 1})
	require.True(t, errors.Is(err, rma.ErrInvalidArgument), "got %v", err)
}

// TestFailingRankLeavesNothing: one rank fails at each of its barriers in
// turn (before and after the traffic, and inside Close) while the others
// produce or consume, and the program's deferred Abort leaves no goroutine
// and no heap behind (one leaked run would keep three 64 MiB arenas).
func TestFailingRankLeavesNothing(t *testing.T) {
	injected := errors.New("injected failure")
	cfg := Config{Records: 2000, Capacity: 4}
	failing := func(rank, barrier int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := local.Run(ctx, 3, func(ctx context.Context, w rma.World) error {
			if w.Rank() == rank {
				w = leakcheck.FailAtBarrier(w, barrier, injected)
			}
			return Run(ctx, w, cfg, io.Discard)
		})
		require.ErrorIs(t, err, injected, "rank %d failing at barrier %d", rank, barrier)
		require.NoError(t, ctx.Err(), "rank %d failing at barrier %d", rank, barrier)
	}
	// Barriers: 1 in NewSystem, 2 once the desk exists, 3 after the
	// records, 4 and 5 in Close.
	leakcheck.Repeated(t, func() { failing(1, 3) }, 10, func(i int) { failing(i%2, 1+i/2) },
		4<<20, 30*time.Second)
}
