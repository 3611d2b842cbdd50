package actor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/internal/leakcheck"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// systemFailure is how rank 1 of a failing program fails.
type systemFailure int

const (
	sysError     systemFailure = iota // returns an error mid-traffic
	sysPanic                          // panics mid-traffic
	sysCancel                         // cancels the job's context mid-traffic
	sysNewSystem                      // its NewSystem fails, inside the collective window allocation
)

func (f systemFailure) String() string {
	return [...]string{"error", "panic", "cancel", "NewSystem"}[f]
}

var errSystemFailed = errors.New("teardown test: deliberate failure")

// Arenas of the failing programs: small, so that a program whose teardown
// is missing leaks megabytes rather than the default 201 MiB. Rank 1 asks
// for more than local.Run allows to make its NewSystem fail.
const (
	abortArena    = 4 << 20
	abortMaxBytes = 8 << 20
)

// failingProgram runs, on 3 in-process ranks, the pattern a program on
// actor.System uses: NewSystem, Close on success, and a deferred Abort for
// every other way out (an error, a panic). Every rank streams messages to the
// named sink of the next rank, rank 0 waits on a request nobody answers,
// and rank 1 fails once its sink has handled after messages.
func failingProgram(ctx context.Context, mode systemFailure, after int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reached := make(chan struct{}) // rank 1's sink handled after messages
	return local.Run(ctx, 3, func(ctx context.Context, w rma.World) error {
		arena := abortArena
		if mode == sysNewSystem && w.Rank() == 1 {
			arena = 2 * abortMaxBytes
		}
		s, err := actor.NewSystem(ctx, w, actor.WithLogger(zap.NewNop()),
			actor.WithArenaBytes(arena))
		if err != nil {
			return err
		}
		defer abort(ctx, s)
		n := 0
		sink := actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*wrapperspb.Int64Value); !ok {
				return
			}
			if n++; n == after && w.Rank() == 1 {
				close(reached)
			}
		})
		if _, err := s.SpawnNamed(sink, "sink"); err != nil {
			return err
		}
		if _, err := s.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}), "mute"); err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		sendCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		next := actor.PIDOn((w.Rank()+1)%w.Size(), "sink")
		wg.Go(func() {
			for i := int64(0); sendCtx.Err() == nil; i++ {
				if err := s.Send(sendCtx, next, wrapperspb.Int64(i)); err != nil {
					return
				}
			}
		})
		switch w.Rank() {
		case 0:
			if _, err := s.Request(ctx, actor.PIDOn(1, "mute"), wrapperspb.String("?")); err == nil {
				return errors.New("mute answered")
			}
			return ctx.Err()
		case 2:
			<-ctx.Done()
			return ctx.Err()
		}
		select {
		case <-reached:
		case <-ctx.Done():
			return ctx.Err()
		}
		switch mode {
		case sysPanic:
			panic(errSystemFailed)
		case sysCancel:
			cancel()
			return ctx.Err()
		}
		return errSystemFailed
	}, local.WithMaxWindowBytes(abortMaxBytes))
}

// abort is a program's deferred teardown: after a successful Close it does
// nothing; on any other way out (an error, a panic) it tears the rank down
// alone. ctx is what failed, or was cancelled for the others when a rank
// failed: the wait for handlers gets its own bound.
func abort(ctx context.Context, s *actor.System) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = s.Abort(ctx)
}

// TestAbortAfterCloseDoesNothing: the deferred Abort of a program that
// closed its system is harmless, also called twice.
func TestAbortAfterCloseDoesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		s, err := actor.NewSystem(ctx, w, actor.WithArenaBytes(abortArena))
		if err != nil {
			return err
		}
		defer abort(ctx, s)
		pid, err := s.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
				c.Respond(wrapperspb.Int64(m.Value + 1))
			}
		}), "echo")
		if err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		reply, err := s.Request(ctx, actor.PIDOn(1-w.Rank(), pid.Id), wrapperspb.Int64(41))
		if err != nil {
			return err
		}
		if got := reply.(*wrapperspb.Int64Value).GetValue(); got != 42 {
			return fmt.Errorf("echo answered %d", got)
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		if err := s.Close(ctx); err != nil {
			return err
		}
		if err := s.Abort(ctx); err != nil {
			return fmt.Errorf("abort after close: %w", err)
		}
		return nil
	})
	require.NoError(t, err)
}

// TestFailingProgramsLeaveNothing: 100 failing programs on actor.System
// under local.Run (errors, panics and a cancelled context mid-traffic, and
// NewSystem failing inside its collective allocation) leave no goroutine
// and no heap behind. The tolerance is the one of cluster's
// TestFailingRunsLeaveNothing, for the same reasons: one leaked program
// keeps at least 8 MiB of arenas alive; the noise is under 0.1 MiB.
func TestFailingProgramsLeaveNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("100 jobs; skipped with -short")
	}
	const (
		runs      = 100
		after     = 300
		heapSlack = 4 << 20
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	check := func(i int, mode systemFailure) {
		err := failingProgram(ctx, mode, after)
		require.Error(t, err, "run %d (%v)", i, mode)
		require.NoError(t, ctx.Err(), "run %d (%v) ended only at the test's deadline", i, mode)
		var re *rma.RankError
		require.ErrorAs(t, err, &re, "run %d (%v)", i, mode)
		switch mode {
		case sysError:
			require.ErrorIs(t, err, errSystemFailed, "run %d", i)
		case sysPanic:
			require.ErrorContains(t, err, "panic: "+errSystemFailed.Error(), "run %d", i)
		case sysCancel:
			require.ErrorIs(t, err, context.Canceled, "run %d", i)
		case sysNewSystem:
			require.Equal(t, 1, re.Rank, "run %d: %v", i, err)
			require.ErrorIs(t, err, rma.ErrWindowTooLarge, "run %d", i)
		}
	}
	all := []systemFailure{sysError, sysPanic, sysCancel, sysNewSystem}
	leakcheck.Repeated(t, func() {
		for _, mode := range all {
			check(-1, mode)
		}
	}, runs, func(i int) { check(i, all[i%len(all)]) }, heapSlack, 30*time.Second)
}
