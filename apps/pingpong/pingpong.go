// Package pingpong measures actor messaging between rank 0 and rank 1:
// request/response latency (p50, p99) to an echo actor on rank 1, round
// trips between two actors, and one-way throughput to a counter actor on
// rank 1 that ends itself through claims. examples/pingpong and
// cmd/actorrun run it.
package pingpong

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

// Config is the app's parameters.
type Config struct {
	Messages  int  // one-way messages
	Requests  int  // request/response round trips
	Aggregate bool // batch small messages per target mailbox
	Capacity  int  // mailbox slots
	Profile   string
}

// DefaultConfig is 200 000 one-way messages and 10 000 round trips, with
// aggregation, 64-slot mailboxes.
func DefaultConfig() Config {
	return Config{Messages: 200000, Requests: 10000, Aggregate: true, Capacity: 64}
}

// Flags registers the app's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Messages, "n", cfg.Messages, "one-way messages")
	fs.IntVar(&cfg.Requests, "requests", cfg.Requests, "request/response round trips")
	fs.BoolVar(&cfg.Aggregate, "aggregate", cfg.Aggregate, "batch small messages to the same mailbox")
	fs.IntVar(&cfg.Capacity, "capacity", cfg.Capacity, "mailbox slots")
	fs.StringVar(&cfg.Profile, "cpuprofile", cfg.Profile, "write each rank's CPU profile to `prefix`.rankN")
}

// Result is what rank 0 measured.
type Result struct {
	OneWay             float64       // messages per second
	P50, P99           time.Duration // RequestFuture round trip, from outside actors
	ActorP50, ActorP99 time.Duration // round trip between two actors
}

// Run is the SPMD program; rank 0 prints the figures to out.
func Run(ctx context.Context, w rma.World, cfg Config, out io.Writer) error {
	if w.Size() < 2 {
		return fmt.Errorf("%w: pingpong needs at least 2 ranks, got %d", rma.ErrInvalidArgument, w.Size())
	}
	if cfg.Messages < 1 || cfg.Requests < 1 {
		return fmt.Errorf("%w: -n %d, -requests %d", rma.ErrInvalidArgument, cfg.Messages, cfg.Requests)
	}
	if cfg.Profile != "" {
		f, err := os.Create(fmt.Sprintf("%s.rank%d", cfg.Profile, w.Rank()))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sys, err := actor.NewSystem(ctx, w, actor.WithAggregation(cfg.Aggregate), actor.WithMailboxCapacity(cfg.Capacity))
	if err != nil {
		return err
	}
	// Every way out but a successful Close (an error, a panic) tears this
	// rank down alone; after Close, Abort does nothing. ctx may be what
	// failed: the wait for running handlers gets its own bound.
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = sys.Abort(ctx)
	}()
	if w.Rank() == 1 {
		if err := host(sys, cfg); err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		r, err := measure(ctx, sys, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "backend %s, %d ranks, aggregation %v\n", launch.Backend(), w.Size(), cfg.Aggregate)
		fmt.Fprintf(out, "one-way:    %d messages, %.0f msg/s\n", cfg.Messages, r.OneWay)
		fmt.Fprintf(out, "round trip: %d requests, p50 %.1f µs, p99 %.1f µs\n", cfg.Requests,
			float64(r.P50.Nanoseconds())/1e3, float64(r.P99.Nanoseconds())/1e3)
		fmt.Fprintf(out, "actor to actor: %d round trips, p50 %.1f µs, p99 %.1f µs\n", cfg.Requests,
			float64(r.ActorP50.Nanoseconds())/1e3, float64(r.ActorP99.Nanoseconds())/1e3)
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return sys.Close(ctx)
}

// host spawns rank 1's actors: "echo" answers requests; "counter" counts
// one-way messages and stops by itself after cfg.Messages of them. Their
// PIDs carry mailbox addresses, which rank 0 asks "directory" for.
func host(sys *actor.System, cfg Config) error {
	echo, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.Int64Value); ok {
			c.Respond(m)
		}
	}))
	if err != nil {
		return err
	}
	counter, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}, actor.WithClaims(cfg.Messages)))
	if err != nil {
		return err
	}
	_, err = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			switch m.Value {
			case "echo":
				c.Respond(echo)
			case "counter":
				c.Respond(counter)
			}
		}
	}), "directory")
	return err
}

func lookup(ctx context.Context, sys *actor.System, name string) (*actor.PID, error) {
	v, err := sys.Request(ctx, actor.PIDOn(1, "directory"), wrapperspb.String(name))
	if err != nil {
		return nil, err
	}
	pid, ok := v.(*actor.PID)
	if !ok {
		return nil, fmt.Errorf("%w: directory answered %T", rma.ErrCorrupt, v)
	}
	return pid, nil
}

func measure(ctx context.Context, sys *actor.System, cfg Config) (Result, error) {
	var r Result
	echo, err := lookup(ctx, sys, "echo")
	if err != nil {
		return r, err
	}
	counter, err := lookup(ctx, sys, "counter")
	if err != nil {
		return r, err
	}
	lat := make([]time.Duration, cfg.Requests)
	msg := wrapperspb.Int64(7)
	root := sys.Root()
	for i := range lat {
		start := time.Now()
		if _, err := root.RequestFuture(echo, msg, 10*time.Second).Result(); err != nil {
			return r, err
		}
		lat[i] = time.Since(start)
	}
	slices.Sort(lat)
	r.P50, r.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	if r.ActorP50, r.ActorP99, err = actorRoundTrips(ctx, sys, echo, cfg.Requests); err != nil {
		return r, err
	}

	start := time.Now()
	for range cfg.Messages {
		if err := sys.Send(ctx, counter, msg); err != nil {
			return r, err
		}
	}
	if err := sys.Wait(ctx, counter); err != nil {
		return r, err
	}
	r.OneWay = float64(cfg.Messages) / time.Since(start).Seconds()
	return r, nil
}

// actorRoundTrips runs n round trips between a pinger actor on this rank and
// echo: each reply triggers the next request, with no future involved.
func actorRoundTrips(ctx context.Context, sys *actor.System, echo *actor.PID, n int) (p50, p99 time.Duration, err error) {
	lat := make([]time.Duration, 0, n)
	done := make(chan struct{})
	var start time.Time
	msg := wrapperspb.Int64(7)
	pinger, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *wrapperspb.StringValue: // go
			start = time.Now()
			c.Request(echo, msg)
		case *wrapperspb.Int64Value: // a reply
			lat = append(lat, time.Since(start))
			if len(lat) == n {
				close(done)
				return
			}
			start = time.Now()
			c.Request(echo, msg)
		}
	}))
	if err != nil {
		return 0, 0, err
	}
	sys.Root().Send(pinger, wrapperspb.String("go"))
	select {
	case <-done:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	sys.Root().Stop(pinger)
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100], nil
}
