package actor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/local"
)

// Ask returns the reply typed, and a reply of another type as
// ErrReplyType, on the same rank and across ranks alike.
func TestAsk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 2, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w)
		if err != nil {
			return err
		}
		if _, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
				c.Respond(wrapperspb.Int64(m.Value * 2))
			}
		}), "double"); err != nil {
			return err
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		for k := range w.Size() {
			v, err := actor.Ask[*wrapperspb.Int64Value](ctx, sys, actor.PIDOn(k, "double"), wrapperspb.Int64(21))
			if err != nil || v.Value != 42 {
				return fmt.Errorf("rank %d asking rank %d: %v, %v", w.Rank(), k, v, err)
			}
			_, err = actor.Ask[*wrapperspb.StringValue](ctx, sys, actor.PIDOn(k, "double"), wrapperspb.Int64(1))
			if !errors.Is(err, actor.ErrReplyType) || !strings.Contains(err.Error(), "*wrapperspb.StringValue") {
				return fmt.Errorf("rank %d asking rank %d for the wrong type: %v", w.Rank(), k, err)
			}
		}
		if err := w.Barrier(ctx); err != nil {
			return err
		}
		return sys.Close(ctx)
	})
	require.NoError(t, err)
}

// Claims are ints everywhere; a count out of range fails the spawn with a
// typed error instead of being clamped.
func TestClaimsOutOfRange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := local.Run(ctx, 1, func(ctx context.Context, w rma.World) error {
		sys, err := actor.NewSystem(ctx, w)
		if err != nil {
			return err
		}
		defer sys.Close(ctx)
		noop := func(actor.Context) {}
		if _, err := sys.Spawn(actor.PropsFromFunc(noop, actor.WithClaims(-1))); !errors.Is(err, rma.ErrNegativeClaim) {
			return fmt.Errorf("WithClaims(-1): %v", err)
		}
		if _, err := sys.SpawnNamed(actor.PropsFromFunc(noop, actor.WithClaims(actor.MaxClaims+1)), "x"); !errors.Is(err, rma.ErrInvalidArgument) {
			return fmt.Errorf("WithClaims(MaxClaims+1): %v", err)
		}
		pid, err := sys.Spawn(actor.PropsFromFunc(noop, actor.WithClaims(actor.MaxClaims)))
		if err != nil {
			return err
		}
		if err := sys.AddClaims(pid, -1); !errors.Is(err, rma.ErrNegativeClaim) {
			return fmt.Errorf("AddClaims(-1): %v", err)
		}
		return nil
	})
	require.NoError(t, err)
}
