// Package prodcons is the producer-consumer example written with actors
// and claims. Every rank but 0 hosts a consumer actor spawned with no
// claims yet; rank 0 deals out N records round robin, adding to each
// consumer exactly as many claims as records it sends it. A consumer stops
// by itself once it has processed its claimed records and reports its count
// and checksum; rank 0 prints the table and checks the total against a
// sequential computation. examples/actor-producer-consumer and
// cmd/actorrun run it.
package prodcons

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/codec"
	"github.com/rmactor/rmactor/rma"
)

// Record is one unit of work: plain Go types cross ranks once registered in
// the codec.
type Record struct {
	I int64
	X [3]float64
}

// Hello introduces a consumer to rank 0.
type Hello struct {
	Rank     int
	Consumer *actor.PID
}

// Report is a consumer's result.
type Report struct {
	Rank     int
	Count    int64
	Checksum float64
}

// Config is the app's parameters.
type Config struct {
	Records  int // records rank 0 produces
	Capacity int // mailbox slots
}

// DefaultConfig is 100 000 records through 16-slot mailboxes.
func DefaultConfig() Config { return Config{Records: 100000, Capacity: 16} }

// Flags registers the app's flags on fs.
func (cfg *Config) Flags(fs *flag.FlagSet) {
	fs.IntVar(&cfg.Records, "n", cfg.Records, "number of records to produce")
	fs.IntVar(&cfg.Capacity, "capacity", cfg.Capacity, "mailbox slots")
}

func record(i int) Record {
	x := float64(i)
	return Record{I: int64(i), X: [3]float64{x, 2 * x, x * x}}
}

// ErrChecksum reports consumers whose results do not add up.
var ErrChecksum = errors.New("actor-producer-consumer: checksum mismatch")

// Run is the SPMD program. Rank 0 writes the report to out.
func Run(ctx context.Context, w rma.World, cfg Config, out io.Writer) error {
	if w.Size() < 2 {
		return fmt.Errorf("%w: actor-producer-consumer needs at least 2 ranks, got %d", rma.ErrInvalidArgument, w.Size())
	}
	if cfg.Records < 0 || cfg.Capacity < 1 {
		return fmt.Errorf("%w: %d records, capacity %d", rma.ErrInvalidArgument, cfg.Records, cfg.Capacity)
	}
	c, err := codec.New(codec.Type[*Record]("record"), codec.Type[*Hello]("hello"), codec.Type[*Report]("report"))
	if err != nil {
		return err
	}
	sys, err := actor.NewSystem(ctx, w, actor.WithCodec(c), actor.WithMailboxCapacity(cfg.Capacity))
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
	hellos := make(chan *Hello, w.Size())
	reports := make(chan *Report, w.Size())
	if w.Rank() == 0 {
		// rank 0's "desk" receives introductions and reports.
		_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *Hello:
				hellos <- m
			case *Report:
				reports <- m
			}
		}), "desk")
		if err != nil {
			return err
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		if err := produce(ctx, sys, cfg, hellos, reports, out); err != nil {
			return err
		}
	} else if err := consume(ctx, sys); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return sys.Close(ctx)
}

// consume spawns this rank's consumer with no claims yet and introduces it
// to rank 0. When the claims rank 0 adds are all processed, the consumer
// stops and its Stopping handler sends the report.
func consume(ctx context.Context, sys *actor.System) error {
	var count int64
	var sum float64
	consumer, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *Record:
			count++
			sum += m.X[0] + m.X[1] + m.X[2]
		case *actor.Stopping:
			c.Send(actor.PIDOn(0, "desk"), &Report{Rank: sys.Rank(), Count: count, Checksum: sum})
		}
	}, actor.WithClaims(0)))
	if err != nil {
		return err
	}
	if err := sys.Send(ctx, actor.PIDOn(0, "desk"), &Hello{Rank: sys.Rank(), Consumer: consumer}); err != nil {
		return err
	}
	return sys.Wait(ctx, consumer)
}

func produce(ctx context.Context, sys *actor.System, cfg Config, hellos <-chan *Hello, reports <-chan *Report, out io.Writer) error {
	n := sys.Size() - 1
	consumers := make([]*actor.PID, n)
	for range n {
		select {
		case h := <-hellos:
			if h.Rank < 1 || h.Rank > n || h.Consumer == nil {
				return fmt.Errorf("%w: introduction %+v", rma.ErrCorrupt, h)
			}
			consumers[h.Rank-1] = h.Consumer
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// Claims first, from this rank, then the records they cover.
	for k, pid := range consumers {
		share := cfg.Records / n
		if k < cfg.Records%n {
			share++
		}
		empty := share == 0
		if empty {
			// No records: one claim covers an empty record.
			share = 1
		}
		if err := sys.AddClaims(pid, share); err != nil {
			return err
		}
		if empty {
			if err := sys.Send(ctx, pid, &Record{I: -1}); err != nil {
				return err
			}
		}
	}
	for i := range cfg.Records {
		r := record(i)
		if err := sys.Send(ctx, consumers[i%n], &r); err != nil {
			return err
		}
	}
	counts := make([]int64, n+1)
	sums := make([]float64, n+1)
	for range n {
		select {
		case r := <-reports:
			if r.Rank < 1 || r.Rank > n {
				return fmt.Errorf("%w: report %+v", rma.ErrCorrupt, r)
			}
			counts[r.Rank], sums[r.Rank] = r.Count, r.Checksum
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var total int64
	var checksum float64
	for k := 1; k <= n; k++ {
		fmt.Fprintf(out, "rank %d consumed %d records, checksum %.0f\n", k, counts[k], sums[k])
		total += counts[k]
		checksum += sums[k]
	}
	want := 0.0
	for i := range cfg.Records {
		r := record(i)
		want += r.X[0] + r.X[1] + r.X[2]
	}
	if cfg.Records < n {
		total -= int64(n - cfg.Records) // the empty records
	}
	fmt.Fprintf(out, "total %d records, checksum %.0f (sequential %.0f)\n", total, checksum, want)
	if total != int64(cfg.Records) || checksum != want {
		return fmt.Errorf("%w: %d records with checksum %.0f, want %d with %.0f", ErrChecksum, total, checksum, cfg.Records, want)
	}
	return nil
}
