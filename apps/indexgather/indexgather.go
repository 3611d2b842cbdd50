// Package indexgather is the bale index-gather kernel: every rank reads
// random entries of a table distributed over all ranks, each read a request
// to the entry's owner answered with the value; a reader actor per rank
// keeps a window of requests outstanding. It reports reads per second per rank and checks every
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
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/cluster"
	"github.com/rmactor/rmactor/rma"
)

// ErrWrongValue is the check failing: the kernel computed something other than
// its sequential reference.
var ErrWrongValue = errors.New("indexgather: a read returned the wrong value")

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
			// A request, not Respond: the answer carries the table's
			// PID, which tells the reader the owner it came from.
			ac.Request(ac.Sender(), wrapperspb.Int64(table[m.Value/int64(size)]))
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
	r := &reader{cfg: cfg, owners: owners, global: global,
		rng:      rand.New(rand.NewPCG(uint64(c.Rank()), 0x1dea)),
		expected: make([][]int64, size), finished: make(chan error, 1)}
	start := time.Now()
	pid, err := c.System().Spawn(actor.PropsFromFunc(r.receive))
	if err != nil {
		return err
	}
	select {
	case err = <-r.finished:
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.System().Root().Stop(pid)
	if err != nil {
		return err
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

// reader is the actor that does one rank's reads: it keeps InFlight
// requests outstanding and checks each answer as it comes. An owner
// answers one sender's requests in order, so the answers from owner k
// match the indices sent to k, first to last.
type reader struct {
	cfg      Config
	owners   []*actor.PID
	global   int64
	rng      *rand.Rand
	expected [][]int64 // per owner, the indices asked for and not yet answered
	sent     int
	answered int
	finished chan error // gets one value: nil when every read is checked
}

func (r *reader) receive(ac actor.Context) {
	switch m := ac.Message().(type) {
	case *actor.Started:
		for r.sent < r.cfg.Reads && r.sent < r.cfg.InFlight {
			r.ask(ac)
		}
		r.finishIfDone()
	case *wrapperspb.Int64Value:
		k, err := actor.RankOfPID(ac.Sender())
		if err != nil || k < 0 || k >= len(r.expected) || len(r.expected[k]) == 0 {
			r.fail(fmt.Errorf("%w: an answer %d from %v, which was asked nothing", ErrWrongValue, m.Value, ac.Sender()))
			return
		}
		idx := r.expected[k][0]
		r.expected[k] = r.expected[k][1:]
		if m.Value != value(idx) {
			r.fail(fmt.Errorf("%w: entry %d read as %d, want %d", ErrWrongValue, idx, m.Value, value(idx)))
			return
		}
		r.answered++
		if r.sent < r.cfg.Reads {
			r.ask(ac)
		}
		r.finishIfDone()
	}
}

// ask sends one read of a random entry to its owner.
func (r *reader) ask(ac actor.Context) {
	idx := r.rng.Int64N(r.global)
	k := idx % int64(len(r.owners))
	r.expected[k] = append(r.expected[k], idx)
	r.sent++
	ac.Request(r.owners[k], wrapperspb.Int64(idx))
}

func (r *reader) finishIfDone() {
	if r.answered == r.cfg.Reads {
		r.answered++ // report once
		r.finished <- nil
	}
}

func (r *reader) fail(err error) {
	if r.answered <= r.cfg.Reads {
		r.answered = r.cfg.Reads + 1
		r.finished <- err
	}
}
