// Command rmabench measures the RemoteChannel and single window operations
// on whichever backend it was built for (in-process by default, MPI with
// -tags mpi under mpirun). Rank 0 prints one result line per measurement.
//
//	rmabench -mode ring -n 1000000          # ranks 1..N-1 put into rank 0's ring
//	rmabench -mode deal -capacity 100       # rank 0 puts into its own ring, ranks 1..N-1 take
//	rmabench -mode ops -n 100000            # rank 1's one-sided ops on rank 0
//
// scripts/bench-mpi runs it next to the C reference ring and prints ratios.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/rmactor/rmactor/launch"
	"github.com/rmactor/rmactor/rma"
)

type config struct {
	mode     string
	n        int
	size     int
	capacity int
}

func main() {
	var cfg config
	ranks := flag.Int("ranks", 2, "in-process ranks (under MPI the job's size)")
	flag.StringVar(&cfg.mode, "mode", "ring", "ring: producers 1..N-1 into rank 0's channel; deal: rank 0 puts into its channel, consumers 1..N-1 take (the mpi-channels README's pattern); ops: single one-sided operations")
	flag.IntVar(&cfg.n, "n", 1000000, "messages in all (ring) or operations of each kind (ops)")
	flag.IntVar(&cfg.size, "size", 64, "message size in bytes")
	flag.IntVar(&cfg.capacity, "capacity", 1024, "ring slots")
	flag.Parse()
	if cfg.n < 1 || cfg.size < 8 || cfg.capacity < 1 {
		fmt.Fprintln(os.Stderr, "rmabench: need -n >= 1, -size >= 8, -capacity >= 1")
		os.Exit(2)
	}
	err := launch.Run(context.Background(), *ranks, func(ctx context.Context, w rma.World) error {
		if w.Size() < 2 {
			return fmt.Errorf("%w: rmabench needs at least 2 ranks", rma.ErrInvalidArgument)
		}
		switch cfg.mode {
		case "ring":
			return ring(ctx, w, cfg)
		case "deal":
			return deal(ctx, w, cfg)
		case "ops":
			return ops(ctx, w, cfg)
		}
		return fmt.Errorf("%w: mode %q", rma.ErrInvalidArgument, cfg.mode)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "rmabench:", err)
		os.Exit(1)
	}
}

// ring: ranks 1..N-1 put n messages in all into rank 0's channel; rank 0
// takes them. Timed on rank 0 from the barrier to the last take.
func ring(ctx context.Context, w rma.World, cfg config) error {
	ch, err := rma.NewChannel(ctx, w, 0, cfg.capacity, cfg.size, rma.WithClaims(cfg.n))
	if err != nil {
		return err
	}
	producers := w.Size() - 1
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	start := time.Now()
	if w.Rank() == 0 {
		if err := takeAll(ctx, ch, cfg.size); err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Printf("ring backend=%s ranks=%d producers=%d size=%d capacity=%d n=%d rate=%.0f msg/s\n",
			launch.Backend(), w.Size(), producers, cfg.size, cfg.capacity, cfg.n, float64(cfg.n)/el.Seconds())
	} else {
		msg := make([]byte, cfg.size)
		for i := w.Rank() - 1; i < cfg.n; i += producers {
			msg[0] = byte(i)
			if err := ch.Put(ctx, msg); err != nil {
				return err
			}
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return ch.Close(ctx)
}

// takeAll takes messages of up to size bytes from ch, into one buffer,
// until "no more".
func takeAll(ctx context.Context, ch *rma.Channel, size int) error {
	buf := make([]byte, 0, size)
	for {
		if _, err := ch.TakeAppend(ctx, buf[:0]); err != nil {
			if errors.Is(err, rma.ErrNoMore) {
				return nil
			}
			return err
		}
	}
}

// deal: the mpi-channels README's pattern. Rank 0 owns the channel, claims
// n and puts them; ranks 1..N-1 take until "no more". Timed on rank 0 from
// the barrier to the barrier after every consumer is done.
func deal(ctx context.Context, w rma.World, cfg config) error {
	ch, err := rma.NewChannel(ctx, w, 0, cfg.capacity, cfg.size)
	if err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	start := time.Now()
	if w.Rank() == 0 {
		if err := ch.Claim(cfg.n); err != nil {
			return err
		}
		msg := make([]byte, cfg.size)
		for i := range cfg.n {
			msg[0] = byte(i)
			if err := ch.Put(ctx, msg); err != nil {
				return err
			}
		}
	} else if err := takeAll(ctx, ch, cfg.size); err != nil {
		return err
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	if w.Rank() == 0 {
		fmt.Printf("deal backend=%s ranks=%d consumers=%d size=%d capacity=%d n=%d rate=%.0f msg/s\n",
			launch.Backend(), w.Size(), w.Size()-1, cfg.size, cfg.capacity, cfg.n, float64(cfg.n)/time.Since(start).Seconds())
	}
	return ch.Close(ctx)
}

// ops: rank 1 times each one-sided operation on rank 0's window.
func ops(ctx context.Context, w rma.World, cfg config) error {
	win, err := w.Allocate(ctx, 1<<16)
	if err != nil {
		return err
	}
	if w.Rank() == 1 {
		buf := make([]byte, cfg.size)
		cases := []struct {
			name string
			op   func(i int) error
		}{
			{"fetch-add", func(int) error { _, err := win.FetchAdd(0, 0, 1); return err }},
			{"compare-and-swap", func(i int) error { _, err := win.CompareAndSwap(0, 8, uint64(i), uint64(i+1)); return err }},
			{"load", func(int) error { _, err := win.Load(0, 0); return err }},
			{"store", func(i int) error { return win.Store(0, 16, uint64(i)) }},
			{fmt.Sprintf("put %dB", cfg.size), func(int) error { return win.Put(0, 64, buf) }},
			{fmt.Sprintf("get %dB", cfg.size), func(int) error { return win.Get(0, 64, buf) }},
			{fmt.Sprintf("publish %dB", cfg.size), func(i int) error { return win.Publish(0, 64, 1, buf[:cfg.size-8], 24, uint64(i)) }},
		}
		for _, c := range cases {
			// One untimed pass for the mean, one timed op by op for the
			// percentiles (which then include the clock's cost).
			// The CAS word starts each pass at 0, so every swap succeeds.
			if err := win.Store(0, 8, 0); err != nil {
				return err
			}
			start := time.Now()
			for i := range cfg.n {
				if err := c.op(i); err != nil {
					return err
				}
			}
			total := time.Since(start)
			if err := win.Store(0, 8, 0); err != nil {
				return err
			}
			lat := make([]time.Duration, cfg.n)
			for i := range cfg.n {
				t := time.Now()
				if err := c.op(i); err != nil {
					return err
				}
				lat[i] = time.Since(t)
			}
			slices.Sort(lat)
			fmt.Printf("op backend=%s %-18s mean=%6.0f ns p50=%6d ns p99=%6d ns\n", launch.Backend(), c.name,
				float64(total.Nanoseconds())/float64(cfg.n), lat[cfg.n/2].Nanoseconds(), lat[cfg.n*99/100].Nanoseconds())
		}
	}
	if err := w.Barrier(ctx); err != nil {
		return err
	}
	return win.Free(ctx)
}
