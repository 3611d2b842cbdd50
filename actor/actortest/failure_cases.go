package actortest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
)

func failureCases() []testCase {
	smallMax := func(int) ([]actor.Option, error) {
		return []actor.Option{actor.WithMaxMessageBytes(64 << 10)}, nil
	}
	return []testCase{
		{name: "Failure/RequestToClosedRank", ranks: 2, min: 2, prog: func(Config) Program { return program(nil, requestToClosedRank) }},
		{name: "Failure/CloseDeliversOwedReplies", ranks: 2, min: 2, prog: func(Config) Program { return program(nil, closeDeliversOwedReplies) }},
		{name: "Failure/InvalidRank", ranks: 2, min: 1, prog: func(Config) Program { return program(nil, invalidRank) }},
		{name: "Failure/TooLarge", ranks: 2, min: 1, prog: func(Config) Program { return program(smallMax, tooLarge) }},
	}
}

// gate is an actor that tells got about each request and answers it only
// once release is closed (never, if it is nil).
func gate(got chan<- struct{}, release <-chan struct{}) *actor.Props {
	return actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
			got <- struct{}{}
			if release == nil {
				return
			}
			<-release
			c.Respond(m)
		}
	})
}

// requestToClosedRank: rank 1's actor takes rank 0's request and never
// answers; rank 1 closes its system. Rank 0's request fails with
// ErrRankClosed within a second of that, not at its deadline, and the job
// ends (rank 0 closes too).
func requestToClosedRank(e *rankEnv) error {
	got := make(chan struct{}, 1)
	if _, err := e.sys.SpawnNamed(gate(got, nil), "mute"); err != nil {
		return err
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	switch e.rank {
	case 0:
		start := time.Now()
		v, err := e.sys.Request(e.ctx, actor.PIDOn(1, "mute"), wrapperspb.Int64(1))
		if !errors.Is(err, actor.ErrRankClosed) {
			return failf("request to a rank that closed: %v, %v; want ErrRankClosed", v, err)
		}
		if took := time.Since(start); took > 30*time.Second {
			return failf("request to a rank that closed failed after %v", took)
		}
	case 1:
		select {
		case <-got:
		case <-e.ctx.Done():
			return e.ctx.Err()
		}
	}
	if err := e.sys.Close(e.ctx); err != nil {
		return err
	}
	return errClosedByCase
}

// closeDeliversOwedReplies: rank 1's actor is still handling rank 0's
// request when rank 1 calls Close; the reply still reaches rank 0.
func closeDeliversOwedReplies(e *rankEnv) error {
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	if _, err := e.sys.SpawnNamed(gate(got, release), "slow"); err != nil {
		return err
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	switch e.rank {
	case 0:
		v, err := e.sys.Request(e.ctx, actor.PIDOn(1, "slow"), wrapperspb.Int64(42))
		if err != nil {
			return fmt.Errorf("request answered while its rank closes: %w", err)
		}
		if r, ok := v.(*wrapperspb.Int64Value); !ok || r.Value != 42 {
			return failf("reply %T %v, want 42", v, v)
		}
	case 1:
		select {
		case <-got:
		case <-e.ctx.Done():
			return e.ctx.Err()
		}
		closed := make(chan error, 1)
		go func() { closed <- e.sys.Close(e.ctx) }()
		close(release)
		if err := <-closed; err != nil {
			return err
		}
		return errClosedByCase
	}
	if err := e.sys.Close(e.ctx); err != nil {
		return err
	}
	return errClosedByCase
}

// invalidRank: a PID naming a rank outside the world (a program written
// for more ranks than it runs on) fails with ErrInvalidPID at once, on
// every send path, not with a dead letter timeout.
func invalidRank(e *rankEnv) error {
	pid := actor.PIDOn(e.size, echoName)
	if err := e.sys.Send(e.ctx, pid, wrapperspb.Int64(1)); !errors.Is(err, actor.ErrInvalidPID) {
		return failf("System.Send to rank %d of %d: %v, want ErrInvalidPID", e.size, e.size, err)
	}
	return e.requestFast("request to a rank outside the world", pid, wrapperspb.Int64(1), actor.ErrInvalidPID, fastFail)
}

// tooLarge: with a 64 KiB maximum, a larger message fails with
// ErrMessageTooLarge on every path and placement: System.Send, a request
// (at once), and a reply too large for the way back (at the requester, at
// once). Messages under the maximum still go through.
func tooLarge(e *rankEnv) error {
	big := wrapperspb.String(strings.Repeat("x", 100<<10))
	if _, err := e.sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
			c.Respond(wrapperspb.String(strings.Repeat("y", int(m.Value))))
		}
	}), "inflater"); err != nil {
		return err
	}
	if err := e.w.Barrier(e.ctx); err != nil {
		return err
	}
	for k := range e.size {
		if err := e.sys.Send(e.ctx, echo(k), big); !errors.Is(err, actor.ErrMessageTooLarge) {
			return failf("System.Send of 100 KiB to rank %d (from %d): %v, want ErrMessageTooLarge", k, e.rank, err)
		}
		if err := e.requestFast(fmt.Sprintf("100 KiB request to rank %d", k), echo(k), big, actor.ErrMessageTooLarge, fastFail); err != nil {
			return err
		}
		inflater := actor.PIDOn(k, "inflater")
		if k != e.rank {
			// Through a protoactor future only across ranks: a
			// same-rank reply reaches a protoactor future directly, and
			// only System.Request checks it.
			if err := e.requestFast(fmt.Sprintf("100 KiB reply from rank %d", k), inflater, wrapperspb.Int64(100<<10), actor.ErrMessageTooLarge, fastFail); err != nil {
				return err
			}
		} else if _, err := e.sys.Request(e.ctx, inflater, wrapperspb.Int64(100<<10)); !errors.Is(err, actor.ErrMessageTooLarge) {
			return failf("100 KiB reply from this rank: %v, want ErrMessageTooLarge", err)
		}
		v, err := e.sys.Request(e.ctx, inflater, wrapperspb.Int64(60<<10))
		if err != nil {
			return fmt.Errorf("60 KiB reply from rank %d: %w", k, err)
		}
		if s, ok := v.(*wrapperspb.StringValue); !ok || len(s.Value) != 60<<10 {
			return failf("60 KiB reply from rank %d: %T", k, v)
		}
	}
	return nil
}
