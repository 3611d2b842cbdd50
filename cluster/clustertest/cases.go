// Package clustertest holds the cluster cases that every backend runs.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
	"github.com/rmactor/rmactor/rma/rmatest"
)

func echoKind() cluster.Kind {
	return cluster.NewKind("echo", actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
			c.Respond(m)
		}
	}))
}

// tally is a named actor kind: it adds the values it gets and answers a
// request for its total.
func tallyKind() cluster.Kind {
	return cluster.NewKind("tally", actor.PropsFromProducer(func() actor.Actor {
		var total int64
		return actor.ReceiveFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *wrapperspb.Int64Value:
				total += m.Value
			case *wrapperspb.StringValue:
				c.Respond(wrapperspb.Int64(total))
			}
		})
	}))
}

// Run runs the cluster cases on the launcher's worlds (every case adapts to
// the world's size; in process each asks for its own).
func Run(t *testing.T, launch rmatest.Launcher) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			timeout := 2 * time.Minute
			if d, ok := caseTimeouts[c.name]; ok {
				timeout = d
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			cfg := cluster.Config{Kinds: []cluster.Kind{echoKind(), tallyKind()}, System: c.system}
			err := launch(ctx, c.ranks, func(ctx context.Context, w rma.World) error {
				if w.Size() < c.min {
					return rmatest.ErrSkip
				}
				return cluster.RunOn(ctx, w, cfg, c.run)
			})
			if errors.Is(err, rmatest.ErrSkip) {
				t.Skipf("needs %d ranks", c.min)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

type testCase struct {
	name       string
	ranks, min int
	run        func(ctx context.Context, c *cluster.Cluster) error
	system     []actor.Option // the case's actor system options, if any
}

var cases = []testCase{
	{"SpawnOnEveryRank", 3, 1, spawnOnEveryRank, nil},
	{"SpawnErrors", 2, 2, spawnErrors, nil},
	{"NamedActors", 4, 1, namedActors, nil},
	{"Collectives", 4, 1, collectives, nil},
	{"CollectivesOfPlainGoValues", 3, 1, plainCollectives, nil},
	{"CollectiveOverMaxMessage", 2, 2, collectiveOverMaxMessage, smallMaxMessageOptions()},
	{"QuiesceAfterMessageTrees", 4, 1, messageTrees, nil},
	{"TransportCounters", 3, 2, transportCounters, nil},
	{"FaultsAreTypedAndJobCarriesOn", 2, 1, faultsAreTyped, faultOptions()},
	{"QuiesceWhenIdle", 3, 1, func(ctx context.Context, c *cluster.Cluster) error { return c.Quiesce(ctx) }, nil},
}

// caseTimeouts are the cases given longer than two minutes: under the race
// detector, encoding and decoding tens of MiB with CBOR takes seconds each
// (about 6 s to encode a 4 M-element []float64), tens of seconds a case on
// a loaded machine.
var caseTimeouts = map[string]time.Duration{
	"CollectivesOfPlainGoValues": 6 * time.Minute,
}

func spawnOnEveryRank(ctx context.Context, c *cluster.Cluster) error {
	{
		pids, err := c.SpawnEverywhere(ctx, "echo")
		if err != nil {
			return err
		}
		for k, pid := range pids {
			if got, _ := actor.RankOfPID(pid); got != k {
				return fmt.Errorf("echo for rank %d lives on rank %d", k, got)
			}
			v, err := c.System().Request(ctx, pid, wrapperspb.Int64(int64(10*c.Rank()+k)))
			if err != nil {
				return err
			}
			if v.(*wrapperspb.Int64Value).Value != int64(10*c.Rank()+k) {
				return fmt.Errorf("echo answered %v", v)
			}
		}
		pid, err := c.SpawnByKey(ctx, "echo", "some key")
		if err != nil {
			return err
		}
		if got, _ := actor.RankOfPID(pid); got != c.RankOf("some key") {
			return fmt.Errorf("keyed spawn on rank %d, key places on %d", got, c.RankOf("some key"))
		}
		return nil
	}
}

func spawnErrors(ctx context.Context, c *cluster.Cluster) error {
	{
		if _, err := c.SpawnOn(ctx, (c.Rank()+1)%c.Size(), "nope"); !errors.Is(err, cluster.ErrUnknownKind) {
			return fmt.Errorf("unknown kind: %v", err)
		}
		if _, err := c.SpawnOn(ctx, 7, "echo"); !errors.Is(err, rma.ErrInvalidRank) {
			return fmt.Errorf("bad rank: %v", err)
		}
		if _, err := c.Get("nope", "x"); !errors.Is(err, cluster.ErrUnknownKind) {
			return fmt.Errorf("unknown kind for a name: %v", err)
		}
		return nil
	}
}

// namedActors: every rank sends to the same named tallies, which are
// activated by their first message wherever they hash; names with path and
// id characters work.
func namedActors(ctx context.Context, c *cluster.Cluster) error {
	names := []string{"alpha", "beta", "with/slash", "with$dollar", "@at", "%25"}
	{
		for _, name := range names {
			pid, err := c.Get("tally", name)
			if err != nil {
				return err
			}
			if err := c.System().Send(ctx, pid, wrapperspb.Int64(int64(c.Rank()+1))); err != nil {
				return err
			}
		}
		if err := c.Barrier(ctx); err != nil {
			return err
		}
		for _, name := range names {
			pid, err := c.Get("tally", name)
			if err != nil {
				return err
			}
			// Each rank's send came before the barrier; a request from
			// every rank sees at least its own and, after the sends
			// drained, all of them: ask until it does.
			for {
				v, err := c.System().Request(ctx, pid, wrapperspb.String("total"))
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				if n := int64(c.Size()); v.(*wrapperspb.Int64Value).Value == n*(n+1)/2 {
					break
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("%s: total %v: %w", name, v, err)
				}
			}
		}
		return nil
	}
}

func collectives(ctx context.Context, c *cluster.Cluster) error {
	{
		for round := range 3 {
			v, err := cluster.Broadcast(ctx, c, wrapperspb.Int64(int64(100*round+c.Rank())))
			if err != nil {
				return err
			}
			if v.Value != int64(100*round) {
				return fmt.Errorf("broadcast %d got %d", round, v.Value)
			}
			all, err := cluster.Gather(ctx, c, wrapperspb.Int64(int64(c.Rank()*c.Rank())))
			if err != nil {
				return err
			}
			sum, err := cluster.Reduce(ctx, c, wrapperspb.Int64(int64(c.Rank())), func(a, b *wrapperspb.Int64Value) *wrapperspb.Int64Value {
				return wrapperspb.Int64(a.Value + b.Value)
			})
			if err != nil {
				return err
			}
			if c.Rank() == 0 {
				for k, x := range all {
					if x.Value != int64(k*k) {
						return fmt.Errorf("gather[%d] = %d", k, x.Value)
					}
				}
				if n := int64(c.Size()); sum.Value != n*(n-1)/2 {
					return fmt.Errorf("reduce = %d", sum.Value)
				}
			} else if all != nil {
				return fmt.Errorf("gather on rank %d returned values", c.Rank())
			}
		}
		return nil
	}
}

// transportCounters: every rank sends a known number of messages to a
// tally on the next rank and checks, from the tally's total, that they all
// arrived; then each rank's counters must show at least that traffic both
// ways, in frames no more numerous than the messages, and high-water marks
// of at least one waiting message and one waiting frame.
func transportCounters(ctx context.Context, c *cluster.Cluster) error {
	const n = 500
	next := (c.Rank() + 1) % c.Size()
	pid, err := c.SpawnOn(ctx, next, "tally")
	if err != nil {
		return err
	}
	var want int64
	for i := range int64(n) {
		want += i
		if err := c.System().Send(ctx, pid, wrapperspb.Int64(i)); err != nil {
			return err
		}
	}
	got, err := c.System().Request(ctx, pid, wrapperspb.String("total"))
	if err != nil {
		return err
	}
	if total := got.(*wrapperspb.Int64Value).Value; total != want {
		return fmt.Errorf("rank %d's tally on rank %d: total %d, want %d", c.Rank(), next, total, want)
	}
	// Every rank's tally has counted its messages once every rank is here.
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	st := c.System().Stats()
	switch {
	case st.MessagesSent < n || st.MessagesReceived < n:
		return fmt.Errorf("rank %d: sent %d and received %d messages, want at least %d each: %+v", c.Rank(), st.MessagesSent, st.MessagesReceived, n, st)
	case st.FramesReceived == 0 || st.FramesReceived > st.MessagesReceived || st.BytesReceived < st.MessagesReceived:
		return fmt.Errorf("rank %d: %d frames, %d messages, %d bytes received: %+v", c.Rank(), st.FramesReceived, st.MessagesReceived, st.BytesReceived, st)
	case st.QueueHighWater < 1 || st.RingHighWater < 1:
		return fmt.Errorf("rank %d: high-water marks %d messages, %d frames: %+v", c.Rank(), st.QueueHighWater, st.RingHighWater, st)
	}
	return nil
}
