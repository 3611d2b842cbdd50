// Package histogram is the bale histogram kernel: every rank makes random
// updates (increments) to a table distributed over all ranks, one 8-byte
// value per update sent to the table's owner on a conveyor, which carries
// them in batches of a thousand (or one by one with --aggregate=false). It reports updates per second
// per rank and checks the table against a sequential replay of every
// rank's updates. cmd/actorrun runs it:
//
//	actorrun histogram --ranks 4 --updates 1000000 [--aggregate=false]
package histogram

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/conveyor"
	"github.com/rmactor/rmactor/rma"
)

// ErrWrongTable is the check failing: the kernel computed something other than
// its sequential reference.
var ErrWrongTable = errors.New("histogram: the table differs from the sequential replay")

// Config is the kernel's parameters.
type Config struct {
	Updates   int  // updates per rank
	Table     int  // table entries per rank
	Aggregate bool // batch small messages (the default)
}

// DefaultConfig is 1 M updates per rank into 1000 entries per rank.
func DefaultConfig() Config { return Config{Updates: 1000000, Table: 1000, Aggregate: true} }

// Flags registers the kernel's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Updates, "updates", cfg.Updates, "updates per rank")
	fs.IntVar(&cfg.Table, "table", cfg.Table, "table entries per rank")
	fs.BoolVar(&cfg.Aggregate, "aggregate", cfg.Aggregate, "batch updates to the same rank (false: one message per update)")
}

// Cluster is the job configuration the kernel needs.
func Cluster(cfg Config) cluster.Config {
	return cluster.Config{System: []actor.Option{actor.WithAggregation(cfg.Aggregate), actor.WithMailboxCapacity(64)}}
}

// updates is rank k's stream of global table indices.
func updates(k, n, table int, fn func(idx int64)) {
	rng := rand.New(rand.NewPCG(uint64(k), 0x5eed))
	for range n {
		fn(rng.Int64N(int64(table)))
	}
}

// Run is the SPMD program; rank 0 writes the report to out.
func Run(ctx context.Context, c *cluster.Cluster, cfg Config, out io.Writer) error {
	if cfg.Updates < 0 || cfg.Table < 1 {
		return fmt.Errorf("%w: histogram %+v", rma.ErrInvalidArgument, cfg)
	}
	size := c.Size()
	global := cfg.Table * size
	local := make([]int64, cfg.Table) // touched only by this rank's handler
	var opts []conveyor.Option
	if !cfg.Aggregate {
		opts = append(opts, conveyor.WithBatch(1))
	}
	table, err := conveyor.New(ctx, c, "histogram", func(_ context.Context, _ int, idx int64) error {
		local[idx/int64(size)]++
		return nil
	}, opts...)
	if err != nil {
		return err
	}
	defer table.Close(ctx)
	start := time.Now()
	var sendErr error
	updates(c.Rank(), cfg.Updates, global, func(idx int64) {
		if sendErr == nil {
			sendErr = table.Send(ctx, int(idx%int64(size)), idx)
		}
	})
	if sendErr != nil {
		return sendErr
	}
	if err := table.Done(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	// Gather each rank's table (as sums by entry) to rank 0 and compare
	// with a sequential replay of every rank's updates.
	sum := 0.0
	for i, n := range local {
		sum += float64(n) * float64(i*size+c.Rank()+1)
	}
	rates, err := cluster.Gather(ctx, c, wrapperspb.Double(float64(cfg.Updates)/elapsed.Seconds()))
	if err != nil {
		return err
	}
	sums, err := cluster.Gather(ctx, c, wrapperspb.Double(sum))
	if err != nil || c.Rank() != 0 {
		return err
	}
	want := make([]int64, global)
	for k := range size {
		updates(k, cfg.Updates, global, func(idx int64) { want[idx]++ })
	}
	for k := range size {
		ref := 0.0
		for i := k; i < global; i += size {
			ref += float64(want[i]) * float64(i+1)
		}
		if ref != sums[k].Value {
			return fmt.Errorf("%w: rank %d's table sums to %.0f, the sequential replay to %.0f", ErrWrongTable, k, sums[k].Value, ref)
		}
	}
	total := 0.0
	for _, r := range rates {
		total += r.Value
	}
	fmt.Fprintf(out, "histogram: %d updates per rank into %d entries on %d ranks, aggregation %v: %.0f updates/s per rank (%.0f in all); table checked\n",
		cfg.Updates, global, size, cfg.Aggregate, total/float64(size), total)
	return nil
}
