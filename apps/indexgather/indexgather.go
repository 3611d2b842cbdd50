// Package indexgather is the bale index-gather kernel: every rank reads
// random entries of a table distributed over all ranks. Each read is a
// request (8 bytes: the entry and the reader's slot) to the entry's owner on
// one conveyor, whose handler answers on another (the slot and the value);
// both carry batches of a thousand (or one value per message with
// --aggregate=false). It reports reads per second per rank and checks every
// value read. cmd/actorrun runs it:
//
//	actorrun indexgather --ranks 4 --reads 200000 [--aggregate=false]
package indexgather

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/conveyor"
	"github.com/rmactor/rmactor/rma"
)

// ErrWrongValue is the check failing: the kernel computed something other than
// its sequential reference.
var ErrWrongValue = errors.New("indexgather: a read returned the wrong value")

// Config is the kernel's parameters.
type Config struct {
	Reads     int  // reads per rank
	Table     int  // table entries per rank
	Aggregate bool // batch reads to the same rank (the default)
}

// DefaultConfig is 1 M reads per rank of 1000 entries per rank.
func DefaultConfig() Config {
	return Config{Reads: 1000000, Table: 1000, Aggregate: true}
}

// Flags registers the kernel's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Reads, "reads", cfg.Reads, "reads per rank")
	fs.IntVar(&cfg.Table, "table", cfg.Table, "table entries per rank")
	fs.BoolVar(&cfg.Aggregate, "aggregate", cfg.Aggregate, "batch reads to the same rank (false: one message per read)")
}

// Cluster is the job configuration the kernel needs.
func Cluster(cfg Config) cluster.Config {
	return cluster.Config{System: []actor.Option{actor.WithAggregation(cfg.Aggregate), actor.WithMailboxCapacity(64)}}
}

// value is the table's content at a global index.
func value(idx int64) int64 { return idx*2654435761%(1<<31) + 1 }

// request asks an owner for its entry Entry on behalf of the reader's Slot.
type request struct{ Entry, Slot uint32 }

// reply answers a request.
type reply struct {
	Slot  uint32
	Value int64
}

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Reads < 0 || cfg.Reads > math.MaxUint32 || cfg.Table < 1 || cfg.Table > math.MaxUint32 {
		return fmt.Errorf("%w: indexgather %+v", rma.ErrInvalidArgument, cfg)
	}
	size := c.Size()
	global := int64(cfg.Table) * int64(size)
	table := make([]int64, cfg.Table)
	for i := range table {
		table[i] = value(int64(i)*int64(size) + int64(c.Rank()))
	}
	var opts []conveyor.Option
	if !cfg.Aggregate {
		opts = append(opts, conveyor.WithBatch(1))
	}
	got := make([]int64, cfg.Reads) // written only by the replies' handler
	replies, err := conveyor.New(ctx, c, "indexgather-replies", func(_ context.Context, _ int, r reply) error {
		got[r.Slot] = r.Value
		return nil
	}, opts...)
	if err != nil {
		return err
	}
	defer replies.Close(ctx)
	requests, err := conveyor.New(ctx, c, "indexgather-requests", func(ctx context.Context, from int, r request) error {
		return replies.Send(ctx, from, reply{Slot: r.Slot, Value: table[r.Entry]})
	}, opts...)
	if err != nil {
		return err
	}
	defer requests.Close(ctx)
	indices := make([]int64, cfg.Reads)
	rng := rand.New(rand.NewPCG(uint64(c.Rank()), 0x1dea))
	for i := range indices {
		indices[i] = rng.Int64N(global)
	}
	start := time.Now()
	for i, idx := range indices {
		owner := int(idx % int64(size))
		if err := requests.Send(ctx, owner, request{Entry: uint32(idx / int64(size)), Slot: uint32(i)}); err != nil {
			return err
		}
	}
	// Quiescence: every request, and every reply its handler sent, handled.
	if err := requests.Done(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := replies.Done(ctx); err != nil {
		return err
	}
	for i, idx := range indices {
		if got[i] != value(idx) {
			return fmt.Errorf("%w: rank %d read %d: entry %d read as %d, want %d", ErrWrongValue, c.Rank(), i, idx, got[i], value(idx))
		}
	}
	rates, err := cluster.Gather(ctx, c, wrapperspb.Double(float64(cfg.Reads)/elapsed.Seconds()))
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
