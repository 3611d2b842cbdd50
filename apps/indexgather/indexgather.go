// Package indexgather is the bale index-gather kernel: every rank reads
// random entries of a table distributed over all ranks, each read a request
// to the entry's owner answered with the value; requests are pipelined
// through futures. It reports reads per second per rank and checks every
// value read. cmd/actorrun runs it:
//
//	actorrun indexgather --ranks 4 --reads 200000 [--aggregate=false]
package indexgather

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

// Config is the kernel's parameters.
type Config struct {
	Reads     int  // reads per rank
	Table     int  // table entries per rank
	InFlight  int  // reads outstanding per rank
	Aggregate bool // batch small messages (the default)
}

// DefaultConfig is 200 000 reads per rank of 1000 entries per rank, 256 in
// flight.
func DefaultConfig() Config {
	return Config{Reads: 200000, Table: 1000, InFlight: 256, Aggregate: true}
}

// Flags registers the kernel's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Reads, "reads", cfg.Reads, "reads per rank")
	fs.IntVar(&cfg.Table, "table", cfg.Table, "table entries per rank")
	fs.IntVar(&cfg.InFlight, "inflight", cfg.InFlight, "reads outstanding per rank")
	fs.BoolVar(&cfg.Aggregate, "aggregate", cfg.Aggregate, "batch small messages to the same mailbox")
}

// Cluster is the job configuration the kernel needs.
func Cluster(cfg Config) cluster.Config {
	return cluster.Config{System: []actor.Option{actor.WithAggregation(cfg.Aggregate), actor.WithMailboxCapacity(64)}}
}

// value is the table's content at a global index.
func value(idx int64) int64 { return idx*2654435761%(1<<31) + 1 }

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Reads < 0 || cfg.Table < 1 || cfg.InFlight < 1 {
		return fmt.Errorf("%w: indexgather %+v", rma.ErrInvalidArgument, cfg)
	}
	size := c.Size()
	global := int64(cfg.Table * size)
	table := make([]int64, cfg.Table)
	for i := range table {
		table[i] = value(int64(i*size + c.Rank()))
	}
	_, err := c.System().SpawnNamed(actor.PropsFromFunc(func(ac actor.Context) {
		if m, ok := ac.Message().(*wrapperspb.Int64Value); ok {
			ac.Respond(wrapperspb.Int64(table[m.Value/int64(size)]))
		}
	}), "table")
	if err != nil {
		return err
	}
	if err := c.Barrier(ctx); err != nil {
		return err
	}
	owners := make([]*actor.PID, size)
	for k := range owners {
		owners[k] = actor.PIDOn(k, "table")
	}
	rng := rand.New(rand.NewPCG(uint64(c.Rank()), 0x1dea))
	root := c.System().Root()
	type read struct {
		idx int64
		f   *actor.Future
	}
	pending := make([]read, 0, cfg.InFlight)
	wait := func() error {
		r := pending[0]
		pending = pending[1:]
		v, err := r.f.Result()
		if err != nil {
			return fmt.Errorf("indexgather: read %d: %w", r.idx, err)
		}
		got, ok := v.(*wrapperspb.Int64Value)
		if !ok || got.Value != value(r.idx) {
			return fmt.Errorf("%w: entry %d read as %v, want %d", rma.ErrMismatch, r.idx, v, value(r.idx))
		}
		return nil
	}
	start := time.Now()
	for range cfg.Reads {
		if len(pending) == cfg.InFlight {
			if err := wait(); err != nil {
				return err
			}
		}
		idx := rng.Int64N(global)
		pending = append(pending, read{idx, root.RequestFuture(owners[idx%int64(size)], wrapperspb.Int64(idx), time.Minute)})
	}
	for len(pending) > 0 {
		if err := wait(); err != nil {
			return err
		}
	}
	rate := float64(cfg.Reads) / time.Since(start).Seconds()
	rates, err := cluster.Gather(ctx, c, wrapperspb.Double(rate))
	if err != nil || c.Rank() != 0 {
		return err
	}
	total := 0.0
	for _, r := range rates {
		total += r.Value
	}
	fmt.Fprintf(out, "indexgather: %d reads per rank from %d entries on %d ranks, aggregation %v: %.0f reads/s per rank (%.0f in all); every value checked\n",
		cfg.Reads, global, size, cfg.Aggregate, total/float64(size), total)
	return nil
}
