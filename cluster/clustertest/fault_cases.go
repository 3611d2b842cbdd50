package clustertest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/mailbox"
	"github.com/rmactor/rmactor/rma"
)

// faultOptions makes faults easy to reach: 2-slot mailboxes, and an arena
// with room for about a hundred of them.
func faultOptions() []actor.Option {
	return []actor.Option{
		actor.WithMailboxCapacity(2),
		actor.WithArenaBytes(1 << 20), actor.WithMaxMessageBytes(32 << 10),
	}
}

// faultsAreTyped: each fault a job can meet through the API gives its typed
// error, nothing is lost, and the job carries on after it:
//   - a message over the maximum message size: actor.ErrMessageTooLarge,
//     and nothing is sent;
//   - a mailbox that stays full: actor.ErrMailboxFull with the context's
//     error once the sender stops waiting, and every message sent, the
//     last included, is still delivered exactly once;
//   - no room for another mailbox: actor.ErrNoRoom, and room
//     again once an actor has stopped;
//   - a rank outside the world: rma.ErrInvalidRank.
func faultsAreTyped(ctx context.Context, c *cluster.Cluster) error {
	sys := c.System()
	release := make(chan struct{})
	var handled atomic.Int64
	gate, err := sys.Spawn(actor.PropsFromFunc(func(ac actor.Context) {
		switch ac.Message().(type) {
		case *wrapperspb.Int64Value:
			<-release // hold the mailbox full until every rank has sent
			handled.Add(1)
		case *wrapperspb.StringValue:
			ac.Respond(wrapperspb.Int64(handled.Load()))
		}
	}))
	if err != nil {
		return err
	}
	gates, err := exchangeIDs(ctx, c, gate.Id)
	if err != nil {
		return err
	}
	targets := []*actor.PID{gate}
	if next := (c.Rank() + 1) % c.Size(); next != c.Rank() {
		targets = append(targets, actor.PIDOn(next, gates[next]))
	}

	if len(targets) > 1 {
		huge := wrapperspb.String(strings.Repeat("x", 64<<10))
		if err := sys.Send(ctx, targets[1], huge); !errors.Is(err, actor.ErrMessageTooLarge) {
			return fmt.Errorf("rank %d: sending 64 KiB with a 32 KiB maximum: %v, want ErrMessageTooLarge", c.Rank(), err)
		}
	}
	sent := make([]int64, len(targets))
	for i, t := range targets {
		if sent[i], err = fillUntilFull(ctx, sys, t); err != nil {
			return fmt.Errorf("rank %d, gate %s: %w", c.Rank(), t, err)
		}
	}
	if _, err := c.SpawnOn(ctx, c.Size(), "echo"); !errors.Is(err, rma.ErrInvalidRank) {
		return fmt.Errorf("rank %d: spawn on rank %d of %d: %v, want ErrInvalidRank", c.Rank(), c.Size(), c.Size(), err)
	}
	if err := poolExhaustion(ctx, sys); err != nil {
		return fmt.Errorf("rank %d: %w", c.Rank(), err)
	}

	// Every rank has sent (the exchange is the barrier); let the gates
	// drain, and count what reached this rank's gate exactly.
	want := sent[0]
	var toNext int64
	if len(sent) > 1 {
		toNext = sent[1]
	}
	toNexts, err := exchangeIDs(ctx, c, strconv.FormatInt(toNext, 10))
	if err != nil {
		return err
	}
	if c.Size() > 1 {
		fromPrev, err := strconv.ParseInt(toNexts[(c.Rank()+c.Size()-1)%c.Size()], 10, 64)
		if err != nil {
			return err
		}
		want += fromPrev
	}
	close(release)
	// A request answered by each gate this rank sent to comes after this
	// rank's messages (one sender's messages stay in order), so once every
	// rank has its answers, every gate has handled everything.
	for _, t := range targets {
		if _, err := sys.Request(ctx, t, wrapperspb.String("count")); err != nil {
			return err
		}
	}
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	if n := handled.Load(); n != want {
		return fmt.Errorf("rank %d: its gate handled %d messages, %d were sent to it", c.Rank(), n, want)
	}
	// The job carries on: a request round trip across ranks still works.
	echo, err := c.SpawnOn(ctx, (c.Rank()+1)%c.Size(), "echo")
	if err != nil {
		return err
	}
	if v, err := sys.Request(ctx, echo, wrapperspb.Int64(7)); err != nil || v.(*wrapperspb.Int64Value).Value != 7 {
		return fmt.Errorf("rank %d: echo after the faults: %v, %v", c.Rank(), v, err)
	}
	return c.Barrier(ctx)
}

// fillUntilFull sends to a mailbox whose actor is held until Send reports
// the mailbox full, and returns how many messages it sent (the last one is
// queued too).
func fillUntilFull(ctx context.Context, sys *actor.System, target *actor.PID) (int64, error) {
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	for n := int64(1); n <= 1<<16; n++ {
		err := sys.Send(sctx, target, wrapperspb.Int64(n))
		if err == nil {
			continue
		}
		if !errors.Is(err, actor.ErrMailboxFull) || !errors.Is(err, context.DeadlineExceeded) {
			return n, fmt.Errorf("send %d: %w, want ErrMailboxFull and DeadlineExceeded", n, err)
		}
		return n, nil
	}
	return 0, errors.New("a held 2-slot mailbox took 65536 messages without reporting it is full")
}

// poolExhaustion spawns actors until the arena has no room for another
// mailbox, checks the error, stops one actor and spawns again, then stops
// them all.
func poolExhaustion(ctx context.Context, sys *actor.System) error {
	idle := actor.PropsFromFunc(func(actor.Context) {})
	var pids []*actor.PID
	defer func() {
		for _, p := range pids {
			_ = sys.Root().StopFuture(p).Wait()
		}
	}()
	limit := sys.Stats().MaxMailboxes
	for {
		pid, err := sys.Spawn(idle)
		if errors.Is(err, actor.ErrNoRoom) {
			break
		}
		if err != nil {
			return err
		}
		pids = append(pids, pid)
		if len(pids) > limit {
			return fmt.Errorf("spawned %d actors, past the arena's %d mailboxes, without ErrPoolExhausted", len(pids), limit)
		}
	}
	if len(pids) == 0 {
		return errors.New("no room for even one actor")
	}
	if err := sys.Root().StopFuture(pids[0]).Wait(); err != nil {
		return err
	}
	pids = pids[1:]
	var idler mailbox.Idler
	for {
		pid, err := sys.Spawn(idle)
		if err == nil {
			pids = append(pids, pid)
			return nil
		}
		if !errors.Is(err, actor.ErrNoRoom) {
			return err
		}
		// The stopped actor's ring returns to the pool once its mailbox has
		// finished, just after Stopped.
		if err := idler.Pause(ctx); err != nil {
			return fmt.Errorf("no room for an actor after one stopped: %w", err)
		}
	}
}

// exchangeIDs gives every rank the string each rank passes.
func exchangeIDs(ctx context.Context, c *cluster.Cluster, id string) ([]string, error) {
	all, err := cluster.Gather(ctx, c, wrapperspb.String(id))
	if err != nil {
		return nil, err
	}
	var joined string
	if c.Rank() == 0 {
		ids := make([]string, len(all))
		for k, v := range all {
			ids[k] = v.Value
		}
		joined = strings.Join(ids, "\n")
	}
	v, err := cluster.Broadcast(ctx, c, wrapperspb.String(joined))
	if err != nil {
		return nil, err
	}
	return strings.Split(v.Value, "\n"), nil
}
